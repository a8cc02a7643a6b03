import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { canonicalAddress, destinationAllowed } from './host-destinations.ts';

describe('PACKRUN_HTTP_ALLOW', () => {
  it('takes addresses and networks with an optional port, IPv6 in brackets', () => {
    const config = loadConfig({ PACKRUN_HTTP_ALLOW: '127.0.0.1:8080, 10.0.0.0/8,[::1]:9000 , fd00::1' });
    expect(config.httpAllow.map(({ text, ...entry }) => entry)).toEqual([
      { address: '127.0.0.1', family: 'ipv4', prefix: 32, port: 8080 },
      { address: '10.0.0.0', family: 'ipv4', prefix: 8 },
      { address: '::1', family: 'ipv6', prefix: 128, port: 9000 },
      { address: 'fd00::1', family: 'ipv6', prefix: 128 },
    ]);
  });

  it.each([
    ['localhost:8080', 'is not an IP address'],
    ['127.0.0.1:0', 'has a port outside 1-65535'],
    ['127.0.0.1:http', 'has a port that is not a number'],
    ['10.0.0.0/33', 'has a prefix length outside 0-32'],
  ])('refuses %s, naming the variable', (entry, why) => {
    expect(() => loadConfig({ PACKRUN_HTTP_ALLOW: entry })).toThrow(`PACKRUN_HTTP_ALLOW: "${entry}" ${why}`);
  });
});

describe('destinations of the runtime\'s own HTTP requests', () => {
  const own = Object.values(os.networkInterfaces()).flat().map((info) => info?.address).filter((address): address is string => address !== undefined);

  it.each([
    '127.0.0.1', '127.1.2.3', '0.0.0.0', '::1', '::', '169.254.169.254', 'fe80::1', '224.0.0.1', '255.255.255.255',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:1',
  ])('refuses %s', (address) => {
    expect(destinationAllowed(address, 80, [])).toBe(false);
  });

  it('refuses every address of the host\'s interfaces', () => {
    expect(own.length).toBeGreaterThan(0);
    for (const address of own) expect(destinationAllowed(address, 80, []), address).toBe(false);
  });

  it('lets the outside world through', () => {
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '10.255.255.1']) {
      if (own.includes(address)) continue;
      expect(destinationAllowed(address, 443, []), address).toBe(true);
    }
  });

  it('lets through what the operator allowed, on the port allowed', () => {
    const { httpAllow } = loadConfig({ PACKRUN_HTTP_ALLOW: '127.0.0.1:8080,[::1]' });
    expect(destinationAllowed('127.0.0.1', 8080, httpAllow)).toBe(true);
    expect(destinationAllowed('::ffff:127.0.0.1', 8080, httpAllow)).toBe(true);
    expect(destinationAllowed('127.0.0.1', 9101, httpAllow)).toBe(false);
    expect(destinationAllowed('127.0.0.2', 8080, httpAllow)).toBe(false);
    expect(destinationAllowed('::1', 9101, httpAllow)).toBe(true);
  });

  it('reads IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(canonicalAddress('::ffff:10.1.2.3')).toEqual({ address: '10.1.2.3', family: 'ipv4' });
    expect(canonicalAddress('::FFFF:0a01:0203')).toEqual({ address: '10.1.2.3', family: 'ipv4' });
    expect(canonicalAddress('2001:DB8::1')).toEqual({ address: '2001:db8::1', family: 'ipv6' });
  });
});
