import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { PackrunConfig } from '../config.ts';
import { PackrunError } from '../errors.ts';
import { readHostAddresses, type HostAddresses } from './host-addresses.ts';
import type { SandboxHost } from './detect.ts';

/** Where an amqp(s) URL points, and who it logs in as (amqplib's default is guest). */
export interface BrokerEndpoint {
  host: string;
  port: number;
  user: string;
}

export function brokerEndpoint(amqpUrl: string): BrokerEndpoint {
  const url = new URL(amqpUrl);
  const defaultPort = url.protocol === 'amqps:' ? 5671 : 5672;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? defaultPort : Number(url.port),
    user: url.username === '' ? 'guest' : decodeURIComponent(url.username),
  };
}

/** Whether `address` (an IP literal) is one this host's own network stack answers for. */
function isHostAddress(address: string, addresses: HostAddresses = readHostAddresses()): boolean {
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return false;
  const list = new net.BlockList();
  for (const cidr of addresses[family]) {
    const [prefix, bits] = cidr.split('/');
    list.addSubnet(prefix as string, Number(bits), family);
  }
  return list.check(address, family);
}

/** Whether a host name or address names this host (every address it resolves to is checked). */
export async function isThisHost(host: string): Promise<boolean> {
  if (net.isIP(host)) return isHostAddress(host);
  const resolved = await lookup(host, { all: true }).catch(() => []);
  const addresses = readHostAddresses();
  return resolved.some((entry) => isHostAddress(entry.address, addresses));
}

/**
 * Why jobs on this host could reach the broker at `amqpUrl`, or undefined when none can. A broker
 * elsewhere is reached by any job with network through its egress (and env builds always have
 * network). A broker on this host is out of their reach under the network layer (every job,
 * sensor, env build and warm zygote with network in a namespace of its own), unless a pack is
 * granted its port.
 */
export async function brokerReachableByJobs(config: PackrunConfig, host: SandboxHost, amqpUrl: string): Promise<string | undefined> {
  const broker = brokerEndpoint(amqpUrl);
  if (!(await isThisHost(broker.host))) return `the broker (${broker.host}) is not on this host, and jobs with network reach other hosts through their egress`;
  if (!host.network) {
    const layer = host.layers.find((entry) => entry.name === 'network');
    return `jobs with network share this host's network namespace (the network layer is inactive: ${layer?.reason ?? 'not detected'})`;
  }
  const granted = Object.entries(config.sandboxHostPorts)
    .filter(([, ports]) => ports.tcp.includes(broker.port))
    .map(([pack]) => pack);
  if (granted.length > 0) return `PACKRUN_SANDBOX_HOST_PORTS grants the broker's port ${broker.port} to ${granted.join(', ')}`;
  return undefined;
}

/**
 * A distributed service refuses to log in to RabbitMQ as guest (guest:guest, RabbitMQ's
 * administrator out of the box) when jobs could reach the broker: they could log in the same way,
 * read every queue and publish forged trigger instances that the rules engine acts on.
 */
export async function refuseExposedGuest(config: PackrunConfig, host: SandboxHost): Promise<void> {
  if (config.rabbitmqUrl === undefined) return;
  if (brokerEndpoint(config.rabbitmqUrl).user !== 'guest') return;
  const reason = await brokerReachableByJobs(config, host, config.rabbitmqUrl);
  if (reason === undefined) return;
  throw new PackrunError('BROKER_GUEST_REFUSED', `PACKRUN_RABBITMQ_URL logs in as RabbitMQ's guest user, and jobs could reach that broker: ${reason}`, {
    hint: 'give each Packrun service a broker user of its own with the permissions it needs (docs/deployment.md, "Broker users") and put it in PACKRUN_RABBITMQ_URL',
    details: { variable: 'PACKRUN_RABBITMQ_URL' },
  });
}
