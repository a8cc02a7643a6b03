import dns from 'node:dns';
import net, { type Socket } from 'node:net';
import { destinationAllowed, PackrunError, type AllowedDestination } from '@packrun/core';
import type { SshHost } from './ssh-hosts.ts';

/** A host resolved once, with only the addresses the destination policy lets the runtime connect to. */
export interface ResolvedHost {
  host: SshHost;
  addresses: string[];
}

function sshDestinationRefused(host: SshHost, address: string): PackrunError {
  const named = host.hostname === address ? address : `${host.hostname} (${address})`;
  return new PackrunError('SSH_DESTINATION_REFUSED', `an SSH connection may not go to ${named} port ${host.port}: it is the runtime's own host`, {
    hint: 'SSH actions never reach the runtime\'s own host (loopback, its addresses, link-local) unless the operator lists the destination in PACKRUN_SSH_ALLOW',
    details: { host: host.hostname, address, port: host.port },
  });
}

export class HostUnresolved extends Error {
  constructor(host: SshHost, cause: unknown) {
    super(`cannot resolve ${host.hostname}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`);
    this.name = 'HostUnresolved';
  }
}

/**
 * The same destination policy as the http-request runner (core's destinationAllowed): the name is
 * resolved once, here, and only the addresses it allows are ever connected to, so a name that
 * resolves elsewhere the second time (DNS rebinding) gains nothing. A name with no allowed
 * address is refused by SSH_DESTINATION_REFUSED; one that does not resolve is a connection error.
 */
export async function resolveAllowed(host: SshHost, allowed: readonly AllowedDestination[]): Promise<ResolvedHost> {
  if (net.isIP(host.hostname) !== 0) {
    if (!destinationAllowed(host.hostname, host.port, allowed)) throw sshDestinationRefused(host, host.hostname);
    return { host, addresses: [host.hostname] };
  }
  let found: dns.LookupAddress[];
  try {
    found = await dns.promises.lookup(host.hostname, { all: true });
  } catch (error) {
    throw new HostUnresolved(host, error);
  }
  const addresses = found.map((entry) => entry.address).filter((address) => destinationAllowed(address, host.port, allowed));
  if (addresses.length === 0) throw sshDestinationRefused(host, found[0]?.address ?? host.hostname);
  return { host, addresses };
}

function connectOnce(address: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port, signal });
    const timer = setTimeout(() => socket.destroy(new Error(`no TCP connection to ${address} port ${port} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A TCP connection to the first address that answers, tried in the resolver's order as OpenSSH does. */
export async function connectResolved(resolved: ResolvedHost, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  let last: unknown;
  for (const address of resolved.addresses) {
    try {
      return await connectOnce(address, resolved.host.port, timeoutMs, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      last = error;
    }
  }
  throw last;
}
