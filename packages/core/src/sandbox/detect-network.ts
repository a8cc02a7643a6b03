import { statSync } from 'node:fs';
import type { PackrunConfig } from '../config.ts';
import { readHostAddresses } from './host-addresses.ts';
import { accountsInRange, findBinary } from './host-lookup.ts';
import { describePorts } from './host-port-grants.ts';
import { startJobNetworkNamespace, type NetworkTools } from './network-namespace.ts';
import type { LayerStatus } from './detect.ts';

type Detected = { status: Omit<LayerStatus, 'name' | 'mode'>; tools?: NetworkTools };

const inactive = (reason: string): Detected => ({ status: { active: false, reason: `${reason}; jobs with network share the host's network namespace, its loopback included` } });

/** Why the network uid could not open /dev/net/tun, in words an operator can act on. */
function tunHint(): string {
  try {
    const mode = statSync('/dev/net/tun').mode & 0o777;
    if ((mode & 0o006) !== 0o006) return ` (/dev/net/tun is mode ${mode.toString(8)}: make it 0666, as udev does by default and scripts/setup.sh does)`;
  } catch {
    return ' (/dev/net/tun is missing: load the tun module)';
  }
  return '';
}

function grantsText(config: PackrunConfig): string {
  const grants = Object.entries(config.sandboxHostPorts).map(([pack, ports]) => `${pack}=${describePorts(ports)}`);
  return grants.length > 0 ? `host loopback ports forwarded: ${grants.join(', ')}` : 'no host port forwarded (PACKRUN_SANDBOX_HOST_PORTS)';
}

/**
 * The network layer: pasta (Debian package `passt`) makes each namespace, nftables (`nftables`)
 * filters what leaves it, nsenter (util-linux) puts a job into it. Probed by making one namespace
 * for real. It needs the user layer: a job running as root could change its namespace's filter.
 */
export async function detectNetwork(config: PackrunConfig, setpriv: string | undefined): Promise<Detected> {
  if (config.sandboxNetns === 'off') return inactive('turned off (PACKRUN_SANDBOX_NETNS=off)');
  if (process.getuid?.() !== 0) return inactive('the runtime is not root: pasta must run as a uid of its own, owning the jobs\' namespaces');
  if (!setpriv) return inactive('needs the user layer: a job running as root could change its namespace\'s filter');
  const uid = config.sandboxNetworkUid;
  if (uid >= config.sandboxUid && uid < config.sandboxUid + config.sandboxUidCount) {
    return inactive(`the network uid ${uid} (PACKRUN_SANDBOX_NETWORK_UID) lies in the job uid range: a job would own its own namespace`);
  }
  if (uid === config.sandboxBuildUid || uid === config.sandboxZygoteUid) {
    return inactive(`the network uid ${uid} (PACKRUN_SANDBOX_NETWORK_UID) is also the build or the zygote uid`);
  }
  const clash = await accountsInRange(uid, 1);
  if (clash.length > 0) return inactive(`the network uid ${uid} is a real account (${clash.join(', ')}): pick another PACKRUN_SANDBOX_NETWORK_UID`);
  const pasta = findBinary('pasta');
  if (!pasta) return inactive('pasta not installed (Debian package `passt`)');
  const nft = findBinary('nft');
  if (!nft) return inactive('nft not installed (Debian package `nftables`)');
  const nsenter = findBinary('nsenter');
  if (!nsenter) return inactive('nsenter (util-linux) not found');
  const tools: NetworkTools = { pasta, nft, nsenter, setpriv, uid };
  try {
    const probe = await startJobNetworkNamespace(tools, { tcp: [], udp: [] }, readHostAddresses());
    await probe.close();
  } catch (error) {
    return inactive(`pasta cannot give a namespace its network here: ${(error as Error).message}${tunHint()}`);
  }
  return {
    status: {
      active: true,
      reason: `pasta (uid ${uid}): each job, sensor, env build and warm zygote with network gets a network namespace of its own (a zygote's children share its) with user-mode egress to the outside world; an nftables filter inside it rejects every address of this host; ${grantsText(config)}`,
    },
    tools,
  };
}
