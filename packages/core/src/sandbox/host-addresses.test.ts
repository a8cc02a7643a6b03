import { describe, expect, it } from 'vitest';
import { egressRuleset } from './egress-filter.ts';
import { parseFibTrie, parseIpv6Routes, readHostAddresses } from './host-addresses.ts';

// Trimmed from a real /proc/net/fib_trie: the main table repeats leaves the local table has,
// with other route types, and a range routed to the host (AnyIP) counts as a whole.
const fibTrie = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     |-- 192.0.2.0
        /24 link UNICAST
Local:
  +-- 0.0.0.0/0 3 0 5
     +-- 10.0.0.0/8 2 0 2
        |-- 10.0.0.0
           /8 host LOCAL
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        |-- 192.0.2.0
           /24 link UNICAST
        |-- 192.0.2.2
           /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
`;

const ipv6Routes = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000003 00000000 80200001       lo
fd000000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000003 00000000 80200001     eth0
fe8000000000000000fc00fffe000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000005 00000000 80200001     eth0
fd000000000000000000000000000000 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000001 00000000 00100001     eth0
`;

describe('the host addresses a job must not reach', () => {
  it('takes the local and broadcast routes of the local table, ranges included', () => {
    expect(parseFibTrie(fibTrie)).toEqual(['10.0.0.0/8', '127.0.0.0/8', '127.0.0.1/32', '127.255.255.255/32', '192.0.2.2/32', '192.0.2.255/32']);
  });

  it('takes the local and anycast IPv6 routes, link-local included', () => {
    expect(parseIpv6Routes(ipv6Routes)).toEqual(['0:0:0:0:0:0:0:1/128', 'fd00:0:0:0:0:0:0:0/128', 'fd00:0:0:0:0:0:0:2/128', 'fe80:0:0:0:fc:ff:fe00:1/128']);
  });

  it('reads this host\'s own, loopback included', () => {
    const addresses = readHostAddresses();
    expect(addresses.ipv4).toContain('127.0.0.0/8');
  });

  it('puts them in sets the egress chain rejects, and leaves no empty set element list', () => {
    const rules = egressRuleset({ ipv4: ['127.0.0.0/8', '192.0.2.2/32'], ipv6: [] });
    expect(rules).toContain('elements = { 127.0.0.0/8, 192.0.2.2/32 }');
    expect(rules).toContain('set host6 { type ipv6_addr; flags interval; auto-merge; }');
    expect(rules).toMatch(/type filter hook output priority 0; policy accept;\n\s+oif "lo" accept\n\s+ip daddr @host4 meta l4proto tcp reject with tcp reset/);
    // Replaces any earlier version of the table in one transaction.
    expect(rules.startsWith('add table inet packrun_egress\ndelete table inet packrun_egress\n')).toBe(true);
  });
});
