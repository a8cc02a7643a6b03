import type { HostAddresses } from './host-addresses.ts';

/**
 * The nftables ruleset loaded into each job's network namespace before the job starts. The
 * namespace's only way out is pasta's tap device, and pasta opens its sockets in the host's own
 * network namespace: a packet to one of the host's addresses would reach the host's services
 * (bound to 127.0.0.1, to its LAN address or to 0.0.0.0). So every packet leaving the namespace
 * for a host address, a multicast group or a broadcast address is rejected (TCP with a reset, so
 * the job sees "connection refused" at once). The rule sits on the output hook, so neither the
 * route the job's packet takes nor a socket bound to a device (SO_BINDTODEVICE, which bypasses
 * prohibit routes) gets around it; the job has no capability in the namespace to change it.
 * Loopback traffic stays inside the namespace: its 127.0.0.1 is its own (plus the host ports the
 * operator forwards, which pasta serves there).
 *
 * A datagram to a forwarded UDP port leaves the host's loopback from the job's own source port:
 * pasta binds that port there, as its uid, for as long as the flow lives, and hands the job what
 * reaches it. So such a datagram must come from the namespace's ephemeral range (what the kernel
 * gives an unbound socket, as syslog's): a job must not take a fixed port of the host's
 * loopback from a service that binds it later, nor receive what is sent to that service.
 */
const egressTable = 'packrun_egress';
/** Linux's default ip_local_port_range, every new network namespace's; the job cannot change it. */
const ephemeralPorts = '32768-60999';

function set(name: string, type: 'ipv4_addr' | 'ipv6_addr', elements: string[]): string {
  const body = elements.length > 0 ? ` elements = { ${elements.join(', ')} };` : '';
  // auto-merge: the host's local table holds overlapping entries (127.0.0.0/8 and 127.0.0.1/32).
  return `  set ${name} { type ${type}; flags interval; auto-merge;${body} }`;
}

/**
 * A complete script for `nft -f -`, replacing any earlier version of the table atomically.
 * `udpPorts`: the host ports the namespace forwards over UDP.
 */
export function egressRuleset(addresses: HostAddresses, udpPorts: readonly number[] = []): string {
  return [
    `add table inet ${egressTable}`,
    `delete table inet ${egressTable}`,
    `table inet ${egressTable} {`,
    set('host4', 'ipv4_addr', addresses.ipv4),
    set('host6', 'ipv6_addr', addresses.ipv6),
    '  chain egress {',
    '    type filter hook output priority 0; policy accept;',
    ...(udpPorts.length > 0 ? [`    oif "lo" udp dport { ${udpPorts.join(', ')} } udp sport != ${ephemeralPorts} reject with icmpx type admin-prohibited`] : []),
    '    oif "lo" accept',
    '    ip daddr @host4 meta l4proto tcp reject with tcp reset',
    '    ip daddr @host4 reject with icmp type admin-prohibited',
    '    ip6 daddr @host6 meta l4proto tcp reject with tcp reset',
    '    ip6 daddr @host6 reject with icmpv6 type admin-prohibited',
    '    ip daddr { 224.0.0.0/4, 255.255.255.255 } reject with icmp type admin-prohibited',
    '    ip6 daddr ff00::/8 reject with icmpv6 type admin-prohibited',
    '  }',
    '}',
    '',
  ].join('\n');
}
