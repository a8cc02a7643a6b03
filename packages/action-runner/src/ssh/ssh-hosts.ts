import net from 'node:net';

/** One SSH destination from a `hosts` list or `bastion_host`. */
export interface SshHost {
  /** As given in the list (for messages). */
  entry: string;
  /** Host name or IP address, IPv6 without brackets. */
  hostname: string;
  port: number;
}

/**
 * A DNS name (labels of letters, digits, `_` and `-`, never starting with `-`) or an IP literal.
 * Anything else (spaces, quotes, `;`, `@`, a leading `-` that a command line would read as an
 * option, control characters) is refused: a host name is data, and only these shapes are one.
 */
const hostnamePattern = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

export class HostEntryInvalid extends Error {
  constructor(readonly entry: string, why: string) {
    super(`${JSON.stringify(entry)} ${why}`);
    this.name = 'HostEntryInvalid';
  }
}

function checkedPort(entry: string, text: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65535) throw new HostEntryInvalid(entry, 'has a port outside 1-65535');
  return port;
}

/**
 * `host`, `host:port`, `[v6addr]:port` or a bare IPv6 address, as StackStorm's split_host_port
 * reads them; `defaultPort` for entries that name none.
 */
export function parseHostEntry(entry: string, defaultPort: number): SshHost {
  let hostname = entry;
  let port = defaultPort;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    hostname = bracketed[1]!;
    if (net.isIPv6(hostname) === false) throw new HostEntryInvalid(entry, 'has brackets around something that is not an IPv6 address');
    if (bracketed[2] !== undefined) port = checkedPort(entry, bracketed[2]);
    return { entry, hostname, port };
  }
  if (net.isIPv6(entry)) return { entry, hostname: entry, port };
  const colon = entry.lastIndexOf(':');
  if (colon !== -1) {
    hostname = entry.slice(0, colon);
    port = checkedPort(entry, entry.slice(colon + 1));
  }
  if (net.isIP(hostname) === 0 && !hostnamePattern.test(hostname)) {
    throw new HostEntryInvalid(entry, 'is not a host name or IP address (letters, digits, "_", "-" and dots, not starting with "-")');
  }
  return { entry, hostname, port };
}

/** StackStorm's `hosts`: comma-separated, blanks around entries and empty entries ignored. */
export function parseHostList(list: string, defaultPort: number): SshHost[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => parseHostEntry(entry, defaultPort));
}
