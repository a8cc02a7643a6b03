import net from 'node:net';
import os from 'node:os';
import { readHostAddresses } from '../sandbox/host-addresses.ts';
import { PackrunError } from '../errors.ts';

/**
 * One destination on the runtime's own host that the operator lets the runtime's HTTP requests
 * (PACKRUN_HTTP_ALLOW) or SSH connections (PACKRUN_SSH_ALLOW) reach: an address or network, and a
 * port or every port.
 */
export interface AllowedDestination {
  /** As written, for messages. */
  text: string;
  address: string;
  family: 'ipv4' | 'ipv6';
  prefix: number;
  port?: number;
}

/**
 * `127.0.0.1:8080`, `10.0.0.0/8`, `[::1]:8080`, `::1`, `[fd00::/8]`: an address with an optional
 * prefix length and port (IPv6 in brackets when a port follows). Host names are refused: what a
 * name resolves to changes, an address does not.
 */
export function parseAllowedDestination(entry: string, variable: string): AllowedDestination {
  const fail = (why: string): never => {
    throw new PackrunError('CONFIG_INVALID', `${variable}: "${entry}" ${why}`, {
      hint: 'entries are address[/prefix][:port], IPv6 in brackets with a port: 127.0.0.1:8080, 10.0.0.0/8, [::1]:8080',
      details: { variable },
    });
  };
  let host = entry;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    const colon = entry.indexOf(':');
    host = entry.slice(0, colon);
    port = Number(entry.slice(colon + 1));
    if (!/^\d+$/.test(entry.slice(colon + 1))) fail('has a port that is not a number');
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) fail('has a port outside 1-65535');
  const slash = host.indexOf('/');
  const address = slash === -1 ? host : host.slice(0, slash);
  const kind = net.isIP(address);
  if (kind === 0) return fail('is not an IP address (host names are not accepted: they can be made to resolve elsewhere)');
  const family = kind === 4 ? 'ipv4' : 'ipv6';
  const bits = family === 'ipv4' ? 32 : 128;
  const prefix = slash === -1 ? bits : Number(host.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) fail(`has a prefix length outside 0-${bits}`);
  return { text: entry, address, family, prefix, ...(port === undefined ? {} : { port }) };
}

/** `::ffff:127.0.0.1` (and its hex spelling) is 127.0.0.1: IPv4-mapped addresses are checked as IPv4. */
export function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  if (net.isIP(address) === 4) return { address, family: 'ipv4' };
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/i.exec(address);
  if (mapped) {
    const rest = mapped[1]!;
    if (net.isIP(rest) === 4) return { address: rest, family: 'ipv4' };
    const groups = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
    if (groups) {
      const high = parseInt(groups[1]!, 16);
      const low = parseInt(groups[2]!, 16);
      return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
    }
  }
  return { address: address.toLowerCase(), family: 'ipv6' };
}

/** Ranges that always lead to this host or to no host at all. */
const alwaysOwn: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'], // "this network": connecting to 0.0.0.0 reaches the host's own services
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], // link-local, cloud instance metadata (169.254.169.254) included
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['255.255.255.255', 32, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/**
 * The addresses that reach the runtime's own host: loopback, unspecified, link-local, multicast and
 * broadcast, and every address of the host's interfaces with their subnets' broadcast address.
 * Read again on every call: interfaces come and go.
 */
export function hostOwnAddresses(): net.BlockList {
  const own = new net.BlockList();
  for (const [address, prefix, family] of alwaysOwn) own.addSubnet(address, prefix, family);
  // The kernel's local routes too: a whole range routed to the host (`ip route add local
  // 10.0.0.0/8 dev lo`) is answered by its services, though no interface lists it.
  const routed = readHostAddresses();
  for (const [family, cidrs] of [['ipv4', routed.ipv4], ['ipv6', routed.ipv6]] as const) {
    for (const cidr of cidrs) {
      const [address = '', prefix = ''] = cidr.split('/');
      own.addSubnet(canonicalAddress(address).address, Number(prefix), family);
    }
  }
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const info of addresses ?? []) {
      const family = info.family === 'IPv4' ? 'ipv4' : 'ipv6';
      own.addAddress(canonicalAddress(info.address).address, family);
      if (family === 'ipv4' && info.cidr) own.addAddress(broadcastOf(info.address, Number(info.cidr.split('/')[1])), 'ipv4');
    }
  }
  return own;
}

function broadcastOf(address: string, prefix: number): string {
  const value = address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
  const hostBits = 32 - prefix;
  const broadcast = hostBits >= 32 ? 0xffffffff : (Math.floor(value / 2 ** hostBits) + 1) * 2 ** hostBits - 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(broadcast / 2 ** shift) % 256).join('.');
}

/**
 * Whether a request from the runtime may connect to `address`:`port`. Anywhere but the runtime's
 * own host, and there only where the operator allowed it.
 */
export function destinationAllowed(address: string, port: number, allowed: readonly AllowedDestination[]): boolean {
  const canonical = canonicalAddress(address);
  if (!hostOwnAddresses().check(canonical.address, canonical.family)) return true;
  return allowed.some((entry) => {
    if (entry.port !== undefined && entry.port !== port) return false;
    const list = new net.BlockList();
    list.addSubnet(entry.address, entry.prefix, entry.family);
    return list.check(canonical.address, canonical.family);
  });
}
