import { readFileSync } from 'node:fs';

/**
 * Every destination the host's own network stack answers for, read from the kernel's local
 * routing table: IPv4 local and broadcast routes (/proc/net/fib_trie, prefixes included, so a
 * whole range routed to the host, as `ip route add local 10.0.0.0/8 dev lo` does, counts too) and
 * IPv6 local and anycast routes (/proc/net/ipv6_route). A job's egress filter rejects these: a
 * connection to any of them through the user-mode egress would land on the host's own services,
 * whatever address they bound (127.0.0.1, the host's LAN address, 0.0.0.0).
 */
export interface HostAddresses {
  /** CIDRs, e.g. `127.0.0.0/8`, `192.0.2.2/32`. */
  ipv4: string[];
  /** CIDRs, e.g. `::1/128`, `fe80::1/128`. */
  ipv6: string[];
}

/** Reads the addresses of the runtime's network namespace (the host's). */
export function readHostAddresses(): HostAddresses {
  return {
    ipv4: parseFibTrie(readFileSync('/proc/net/fib_trie', 'utf8')),
    ipv6: parseIpv6Routes(readOptional('/proc/net/ipv6_route')),
  };
}

function readOptional(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // A kernel without IPv6 has no such file, and no IPv6 address to protect.
    return '';
  }
}

/** Same addresses in the same order: a cheap way to see that the host's addresses changed. */
export function sameAddresses(a: HostAddresses, b: HostAddresses): boolean {
  return a.ipv4.join(',') === b.ipv4.join(',') && a.ipv6.join(',') === b.ipv6.join(',');
}

/**
 * /proc/net/fib_trie lists each table as a trie: a leaf line `|-- <address>` is followed by one
 * line per route at that address, `/<prefix> <scope> <TYPE>`. Only the local table matters (the
 * main table repeats some leaves with other types).
 */
export function parseFibTrie(text: string): string[] {
  const found = new Set<string>();
  let inLocal = false;
  let leaf: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      inLocal = line.startsWith('Local:');
      leaf = undefined;
      continue;
    }
    if (!inLocal) continue;
    const leafMatch = /\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (leafMatch) {
      leaf = leafMatch[1];
      continue;
    }
    const route = /^\s+\/(\d+) \S+ (LOCAL|BROADCAST)\s*$/.exec(line);
    if (route && leaf) found.add(`${leaf}/${route[1]}`);
  }
  return [...found].sort();
}

const rtfLocal = 0x80000000;
const rtfAnycast = 0x00100000;

/** /proc/net/ipv6_route: destination (32 hex digits), prefix length (hex), ..., flags (hex), device. */
export function parseIpv6Routes(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const flags = Number.parseInt(fields[8] ?? '0', 16);
    if ((flags & (rtfLocal | rtfAnycast)) === 0) continue;
    found.add(`${hexToIpv6(fields[0] ?? '')}/${Number.parseInt(fields[1] ?? '0', 16)}`);
  }
  return [...found].sort();
}

function hexToIpv6(hex: string): string {
  const groups = hex.match(/.{4}/g) ?? [];
  return groups.map((group) => group.replace(/^0+(?=.)/, '')).join(':');
}
