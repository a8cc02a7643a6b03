import { execFile } from 'node:child_process';
import amqp from 'amqplib';
import { brokerEndpoint, isThisHost, PackrunError, type PackrunConfig } from '@packrun/core';
import { managementProvisioner, rabbitmqctlProvisioner, type Provisioner } from './broker-identity.ts';

/**
 * How a distributed deployment's sensors get their dispatches to RabbitMQ. Directly, each pack's
 * sensors with a broker user of their own, wherever Packrun can create such users: through the
 * management API (PACKRUN_RABBITMQ_MANAGEMENT_URL, or the broker's own management port with the
 * runtime's broker credentials, when they are an administrator's) or through a rabbitmqctl on
 * this host that answers for that broker. Otherwise the container publishes for them.
 *
 * A sensor that publishes directly reaches the broker's port (forwarded into its network
 * namespace when the broker is on this host), and with it every account the broker accepts from
 * there. So direct publishing is never chosen while the broker accepts RabbitMQ's default
 * guest:guest: not when the runtime itself logs in as guest, not when guest still has its
 * default password.
 */
export type SensorPublishing =
  | { path: 'direct'; via: 'management' | 'rabbitmqctl'; provisioner: Provisioner; reason: string }
  | { path: 'container'; reason: string };

const probeTimeoutMs = 5000;

interface Found {
  via: 'management' | 'rabbitmqctl';
  provisioner: Provisioner;
  where: string;
}

/** The management API accepts these credentials as an administrator's (GET /api/whoami). */
async function managementAdmin(managementUrl: string): Promise<boolean> {
  const parsed = new URL(managementUrl);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
  parsed.username = '';
  parsed.password = '';
  try {
    const response = await fetch(`${parsed.toString().replace(/\/+$/, '')}/api/whoami`, { headers: { authorization: auth }, signal: AbortSignal.timeout(probeTimeoutMs) });
    if (!response.ok) return false;
    const tags = (await response.json()) as { tags?: unknown };
    const list = Array.isArray(tags.tags) ? tags.tags : String(tags.tags ?? '').split(',');
    return list.includes('administrator');
  } catch {
    return false;
  }
}

/** The runtime's broker credentials against the management port of the broker's host. */
function derivedManagementUrl(amqpUrl: string): string {
  const amqpParsed = new URL(amqpUrl);
  const url = new URL(`${amqpParsed.protocol === 'amqps:' ? 'https' : 'http'}://${amqpParsed.host.replace(/:\d+$/, '')}:15672`);
  url.username = amqpParsed.username;
  url.password = amqpParsed.password;
  return url.toString();
}

/** rabbitmqctl runs and the node it reaches has an AMQP listener on the broker's port. */
function rabbitmqctlServes(command: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, ['-q', 'status', '--formatter', 'json'], { timeout: 60_000 }, (error, stdout) => {
      if (error) return resolve(false);
      try {
        const status = JSON.parse(stdout) as { listeners?: Array<{ protocol?: string; port?: number }> };
        resolve((status.listeners ?? []).some((listener) => listener.protocol === 'amqp' && listener.port === port));
      } catch {
        resolve(false);
      }
    });
  });
}

async function findProvisioner(config: PackrunConfig, amqpUrl: string): Promise<Found | undefined> {
  for (const managementUrl of [config.rabbitmqManagementUrl, derivedManagementUrl(amqpUrl)]) {
    if (managementUrl === undefined || !(await managementAdmin(managementUrl))) continue;
    const where = new URL(managementUrl);
    return { via: 'management', provisioner: managementProvisioner(managementUrl), where: `the management API at ${where.protocol}//${where.host}` };
  }
  const broker = brokerEndpoint(amqpUrl);
  if ((await isThisHost(broker.host)) && (await rabbitmqctlServes(config.rabbitmqctl, broker.port))) {
    return { via: 'rabbitmqctl', provisioner: rabbitmqctlProvisioner(config.rabbitmqctl), where: `${config.rabbitmqctl} on this host` };
  }
  return undefined;
}

/** Whether the broker lets guest:guest in from here, as it would a sensor reaching its port. */
async function acceptsDefaultGuest(amqpUrl: string): Promise<boolean> {
  const url = new URL(amqpUrl);
  url.username = 'guest';
  url.password = 'guest';
  try {
    const connection = await amqp.connect(url.toString(), { timeout: probeTimeoutMs });
    await connection.close().catch(() => undefined);
    return true;
  } catch (error) {
    // A refused login is the answer wanted; anything else (unreachable, timed out) cannot prove it.
    return !/ACCESS_REFUSED|403/.test(String((error as Error).message));
  }
}

const runtimeIsGuest = "the runtime's own broker user (PACKRUN_RABBITMQ_URL) is guest, and sensors publishing directly would reach the broker's port where guest logs in";

/** Why sensors must not publish directly to this broker, or undefined when they may. */
async function guestReason(amqpUrl: string): Promise<string | undefined> {
  if (brokerEndpoint(amqpUrl).user === 'guest') return runtimeIsGuest;
  if (await acceptsDefaultGuest(amqpUrl)) return "the broker accepts guest:guest (or could not be asked), and sensors publishing directly would reach its port: delete the guest user or change its password";
  return undefined;
}

export async function chooseSensorPublishing(config: PackrunConfig): Promise<SensorPublishing> {
  const amqpUrl = config.rabbitmqUrl;
  if (amqpUrl === undefined) return { path: 'container', reason: 'no RabbitMQ (PACKRUN_RABBITMQ_URL unset): dispatches travel on the in-process bus' };
  const mode = config.sensorBrokerIdentity ?? 'auto';
  switch (mode) {
    case 'off':
      return { path: 'container', reason: 'turned off (PACKRUN_SENSOR_BROKER_IDENTITY=off)' };
    case 'management':
    case 'rabbitmqctl': {
      const provisioner = explicitProvisioner(config, mode);
      const unsafe = await guestReason(amqpUrl);
      if (unsafe !== undefined) {
        throw new PackrunError('BROKER_GUEST_REFUSED', `PACKRUN_SENSOR_BROKER_IDENTITY=${mode} asks sensors to publish directly, but ${unsafe}`, {
          hint: 'give the runtime a broker user of its own and remove guest (docs/deployment.md, "Broker users"), or set PACKRUN_SENSOR_BROKER_IDENTITY=off',
          details: { variable: 'PACKRUN_SENSOR_BROKER_IDENTITY' },
        });
      }
      return { path: 'direct', via: mode, provisioner, reason: `PACKRUN_SENSOR_BROKER_IDENTITY=${mode}` };
    }
    case 'auto': {
      if (brokerEndpoint(amqpUrl).user === 'guest') return { path: 'container', reason: runtimeIsGuest };
      const found = await findProvisioner(config, amqpUrl);
      if (!found) {
        return {
          path: 'container',
          reason: 'Packrun cannot create broker users here: no management API accepts an administrator\'s credentials (PACKRUN_RABBITMQ_MANAGEMENT_URL, or PACKRUN_RABBITMQ_URL\'s on port 15672) and no rabbitmqctl on this host answers for that broker',
        };
      }
      const unsafe = await guestReason(amqpUrl);
      if (unsafe !== undefined) return { path: 'container', reason: unsafe };
      return { path: 'direct', via: found.via, provisioner: found.provisioner, reason: `broker users created through ${found.where}` };
    }
    default:
      throw new PackrunError('CONFIG_INVALID', `PACKRUN_SENSOR_BROKER_IDENTITY must be auto, management, rabbitmqctl or off, got "${mode}"`, {
        details: { variable: 'PACKRUN_SENSOR_BROKER_IDENTITY' },
      });
  }
}

function explicitProvisioner(config: PackrunConfig, mode: 'management' | 'rabbitmqctl'): Provisioner {
  if (mode === 'rabbitmqctl') return rabbitmqctlProvisioner(config.rabbitmqctl);
  if (config.rabbitmqManagementUrl === undefined) {
    throw new PackrunError('CONFIG_INVALID', 'PACKRUN_SENSOR_BROKER_IDENTITY is management but PACKRUN_RABBITMQ_MANAGEMENT_URL is not set', {
      hint: 'set PACKRUN_RABBITMQ_MANAGEMENT_URL=http://admin:secret@host:15672, or use rabbitmqctl, auto or off',
      details: { variable: 'PACKRUN_RABBITMQ_MANAGEMENT_URL' },
    });
  }
  return managementProvisioner(config.rabbitmqManagementUrl);
}
