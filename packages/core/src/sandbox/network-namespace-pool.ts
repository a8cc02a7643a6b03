import type { Logger } from '../logger.ts';
import { readHostAddresses, sameAddresses, type HostAddresses } from './host-addresses.ts';
import { mergePorts, portSetKey, type ForwardedPorts } from './host-port-grants.ts';
import { startJobNetworkNamespace, type JobNetworkNamespace, type NetworkTools } from './network-namespace.ts';

/**
 * Network namespaces made ahead, so a job with network does not wait the ~60-130 ms pasta takes
 * to set one up: after each take, the pool starts the next one in the background. Each namespace
 * serves one job and is closed after it (never reused: nothing a job leaves in its namespace, a
 * listening socket of a process that escaped, reaches the next). Namespaces differ by the host
 * ports they forward (TCP and UDP apart: 514/udp never serves for 514/tcp), so there is one set
 * of spares per port set in use; a port set unused for
 * `idleMs` keeps no spare.
 *
 * The egress filter holds the host's addresses as they were when it was loaded. Before a
 * namespace is handed out, and every few seconds for those in use (a sensor runs for days), the
 * pool compares them with the host's current ones and reloads the filter where they changed.
 */
export interface NetworkNamespacePool {
  /** A namespace with egress that forwards exactly `ports` to the host's loopback. */
  take(ports: ForwardedPorts): Promise<JobNetworkNamespace>;
  /** Closes a namespace taken from the pool (in the background). */
  release(namespace: JobNetworkNamespace): void;
}

export interface NetworkNamespacePoolOptions {
  tools: NetworkTools;
  /** Namespaces kept ready per port set in use. */
  spares: number;
  idleMs: number;
  logger?: Logger;
  /** Test seam: where the host's addresses come from. */
  readAddresses?: () => HostAddresses;
}

interface Made {
  namespace: JobNetworkNamespace;
  /** The host addresses its filter was loaded with. */
  addresses: HostAddresses;
}

interface PortSet {
  key: string;
  ports: ForwardedPorts;
  spares: Array<Promise<Made>>;
  lastUsed: number;
  refill: NodeJS.Timeout | undefined;
}

const watchEveryMs = 2000;
/**
 * How long after a take the pool starts the next namespace. Spawning pasta forks the runtime,
 * which blocks its event loop for a few milliseconds (more with a larger runtime): not while the
 * job that took the namespace is being started.
 */
const refillAfterMs = 25;

export function createNetworkNamespacePool(options: NetworkNamespacePoolOptions): NetworkNamespacePool {
  const readAddresses = options.readAddresses ?? readHostAddresses;
  const sets = new Map<string, PortSet>();
  const inUse = new Map<JobNetworkNamespace, Made>();
  let addresses = readAddresses();
  let watcher: NodeJS.Timeout | undefined;

  const make = (ports: ForwardedPorts): Promise<Made> => {
    const current = addresses;
    const made = startJobNetworkNamespace(options.tools, ports, current).then((namespace) => ({ namespace, addresses: current }));
    // A spare that failed is reported when it is taken; it must not be an unhandled rejection.
    made.catch(() => undefined);
    return made;
  };

  const closeQuietly = (namespace: JobNetworkNamespace): void => {
    namespace.close().catch((error: unknown) => options.logger?.warn({ err: error }, 'could not close a job network namespace'));
  };

  const discard = (spares: Array<Promise<Made>>): void => {
    for (const spare of spares) void spare.then((made) => closeQuietly(made.namespace), () => undefined);
  };

  /** Picks up a change of the host's addresses: reloads the filters in use, drops stale spares. */
  const followAddresses = (): void => {
    const latest = readAddresses();
    if (sameAddresses(latest, addresses)) return;
    addresses = latest;
    options.logger?.info({ ipv4: latest.ipv4, ipv6: latest.ipv6 }, 'host addresses changed; reloading the egress filter of every job network namespace');
    for (const set of sets.values()) discard(set.spares.splice(0));
    for (const made of inUse.values()) {
      made.addresses = latest;
      made.namespace.refresh(latest).catch((error: unknown) => options.logger?.error({ err: error }, 'could not reload the egress filter of a running job'));
    }
  };

  const trimIdle = (): void => {
    const now = Date.now();
    for (const [key, set] of sets) {
      if (now - set.lastUsed < options.idleMs) continue;
      clearTimeout(set.refill);
      discard(set.spares.splice(0));
      sets.delete(key);
    }
  };

  const watch = (): void => {
    if (watcher) return;
    watcher = setInterval(() => {
      followAddresses();
      trimIdle();
      if (inUse.size === 0 && sets.size === 0) {
        clearInterval(watcher);
        watcher = undefined;
      }
    }, watchEveryMs);
    watcher.unref();
  };

  const replenishSoon = (set: PortSet): void => {
    if (set.refill || options.spares === 0) return;
    set.refill = setTimeout(() => {
      set.refill = undefined;
      if (sets.get(set.key) !== set) return;
      while (set.spares.length < options.spares) set.spares.push(make(set.ports));
    }, refillAfterMs);
    set.refill.unref();
  };

  return {
    async take(asked) {
      const ports = mergePorts(asked);
      const key = portSetKey(ports);
      let set = sets.get(key);
      if (!set) {
        set = { key, ports, spares: [], lastUsed: Date.now(), refill: undefined };
        sets.set(key, set);
      }
      set.lastUsed = Date.now();
      followAddresses();
      const next = set.spares.shift() ?? make(ports);
      replenishSoon(set);
      watch();
      let made: Made;
      try {
        made = await next;
      } catch {
        // A spare can fail for a passing reason (the machine was short of memory): one more try,
        // whose error is the one reported.
        made = await make(ports);
      }
      if (!sameAddresses(made.addresses, addresses)) {
        await made.namespace.refresh(addresses);
        made.addresses = addresses;
      }
      inUse.set(made.namespace, made);
      return made.namespace;
    },

    release(namespace) {
      inUse.delete(namespace);
      closeQuietly(namespace);
    },
  };
}
