import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import { destinationAllowed, PackrunError, type AllowedDestination } from '@packrun/core';

export function destinationRefused(host: string, address: string, port: number): PackrunError {
  const named = host === address ? address : `${host} (${address})`;
  return new PackrunError('HTTP_DESTINATION_REFUSED', `the HTTP request may not connect to ${named} port ${port}: it is the runtime's own host`, {
    hint: 'requests from Packrun never reach its own host (loopback, its addresses, link-local) unless the operator lists the destination in PACKRUN_HTTP_ALLOW',
    details: { host, address, port },
  });
}

/**
 * Refuses an IP literal that leads to the runtime's own host. Node connects to a literal without
 * calling the lookup below, so literals are checked here, before the request starts.
 */
export function checkLiteral(host: string, port: number, allowed: readonly AllowedDestination[]): void {
  if (net.isIP(host) !== 0 && !destinationAllowed(host, port, allowed)) throw destinationRefused(host, host, port);
}

/**
 * The DNS lookup of one connection: resolves the name once, keeps only the addresses the
 * destination policy allows, and hands exactly those to the socket. The address checked is the
 * address connected to, so a name that resolves elsewhere the second time (DNS rebinding) gains
 * nothing: there is no second time.
 */
export function guardedLookup(port: number, allowed: readonly AllowedDestination[]): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, ...(options.family ? { family: options.family } : {}) }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const usable = addresses.filter((entry) => destinationAllowed(entry.address, port, allowed));
      const first = usable[0];
      if (first === undefined) {
        callback(destinationRefused(hostname, addresses[0]?.address ?? hostname, port), '', 0);
        return;
      }
      if (options.all) callback(null, usable);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * Refuses a URL that names the runtime's own host even though a proxy makes the connection: the
 * proxy resolves the name itself, but a proxy running on this host would reach this host's
 * services for the caller. Checked by this host's resolver, every address it gives.
 */
export async function checkProxiedTarget(host: string, port: number, allowed: readonly AllowedDestination[]): Promise<void> {
  checkLiteral(host, port, allowed);
  if (net.isIP(host) !== 0) return;
  const addresses = await dns.promises.lookup(host, { all: true }).catch(() => []);
  const own = addresses.find((entry) => !destinationAllowed(entry.address, port, allowed));
  if (own !== undefined) throw destinationRefused(host, own.address, port);
}
