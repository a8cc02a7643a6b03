import { beforeAll, describe, expect, it } from 'vitest';
import { homeWithExchangePack, type ExchangeHome } from './exchange-home.ts';

// networking_utils 1.2.1 requires ipaddress, geoip2<4 and maxminddb<2 (old pins, built or
// fetched from PyPI for today's Python), and imports six without requiring it.
let pack: ExchangeHome;

beforeAll(async () => {
  pack = await homeWithExchangePack('networking_utils');
}, 600_000);

describe('networking_utils (StackStorm-Exchange/stackstorm-networking_utils, unmodified)', () => {
  it('contains: an address or a network inside a network (the pack\'s own test cases)', async () => {
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{ item: '10.0.0.1', container: '10.0.0.0/24' }, true],
      [{ item: '10.0.0.1', container: '10.0.1.0/24', item_type: 'address' }, false],
      [{ item: '10.0.0.0/24', container: '10.0.0.0/16', item_type: 'network' }, true],
      [{ item: '10.0.0.0/24', container: '10.0.2.0/24', item_type: 'network' }, false],
    ];
    for (const [input, answer] of cases) {
      const outcome = await pack.run('networking_utils.contains', input);
      expect(outcome.status, JSON.stringify(input)).toBe('succeeded');
      expect(outcome.result['result'], JSON.stringify(input)).toBe(answer);
    }
  });

  it('contains refuses an item_type outside its enum before running', async () => {
    await expect(pack.run('networking_utils.contains', { item: '10.0.0.1', container: '10.0.0.0/8', item_type: 'range' }))
      .rejects.toThrow(/item_type/);
  });

  it('hosts and subnets list what the pack\'s tests expect', async () => {
    const hosts = await pack.run('networking_utils.hosts', { network: '2001:cafe::/126', family: 'ipv6' });
    expect(hosts.result['result']).toEqual(['2001:cafe::1', '2001:cafe::2', '2001:cafe::3']);
    const pair = await pack.run('networking_utils.hosts', { network: '192.168.0.0/31' });
    expect(pair.result['result']).toEqual(['192.168.0.0', '192.168.0.1']);

    const subnets = await pack.run('networking_utils.subnets', { network: '192.168.0.0/16', family: 'ipv4', new_prefix: 18 });
    expect(subnets.status).toBe('succeeded');
    expect(subnets.result['result']).toEqual(['192.168.0.0/18', '192.168.64.0/18', '192.168.128.0/18', '192.168.192.0/18']);
  });

  it('subnets of the wrong family fails with the pack\'s ValueError', async () => {
    const outcome = await pack.run('networking_utils.subnets', { network: '192.168.0.0/16', family: 'ipv6', new_prefix: 18 });
    expect(outcome.status).toBe('failed');
    expect(String(outcome.result['error'])).toContain('Valid IPv4 network, but IPv6 is required.');
  });

  it('ip_calc returns (True, info) as succeeded with the info as result', async () => {
    const outcome = await pack.run('networking_utils.ip_calc', { subnet: '10.20.30.0/23' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['result']).toEqual({
      netmask: '255.255.254.0',
      broadcast: '10.20.31.255',
      prefixlen: 23,
      hostmin: '10.20.30.1',
      hostmax: '10.20.31.254',
    });
  });

  it('ip_calc returns (False, message) for a bad subnet: failed, with the message kept as result', async () => {
    const outcome = await pack.run('networking_utils.ip_calc', { subnet: '10.20.30.0/33' });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['exit_code']).toBe(0);
    expect(outcome.result['result']).toBe('Error: Not a valid Subnet');
  });

  it('is_valid_hostname describes a valid name and fails on a bad one', async () => {
    const ok = await pack.run('networking_utils.is_valid_hostname', { hostname: 'foo.example.org.' });
    expect(ok.status).toBe('succeeded');
    expect(ok.result['result']).toEqual({ hostname: 'foo.example.org.', final_dot: true, fqdn: true, valid: true });
    const bad = await pack.run('networking_utils.is_valid_hostname', { hostname: 'under_score.example.org' });
    expect(bad.status).toBe('failed');
    expect(String(bad.result['error'])).toContain('Hostname has invalid chars.');
  });
});
