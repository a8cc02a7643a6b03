import { describe, expect, it } from 'vitest';
import { HostEntryInvalid, parseHostEntry, parseHostList } from './ssh-hosts.ts';

describe('hosts lists as StackStorm reads them', () => {
  it('splits on commas, trims, skips empty entries, takes host:port and [v6]:port', () => {
    expect(parseHostList(' web1 ,web2:2222,, [::1]:2200,fe80::1,10.0.0.1:22', 22)).toEqual([
      { entry: 'web1', hostname: 'web1', port: 22 },
      { entry: 'web2:2222', hostname: 'web2', port: 2222 },
      { entry: '[::1]:2200', hostname: '::1', port: 2200 },
      { entry: 'fe80::1', hostname: 'fe80::1', port: 22 },
      { entry: '10.0.0.1:22', hostname: '10.0.0.1', port: 22 },
    ]);
  });

  it.each(['-oProxyCommand=x', 'a b', 'a;b', 'user@host', 'h:0', 'h:65536', 'h:', 'h:2x', '[h]:22', '[::1', 'a..b', '.a', 'a.-b', `${'a'.repeat(64)}.example`, 'é.example', 'a\nb'])(
    'refuses %j',
    (entry) => {
      expect(() => parseHostEntry(entry, 22)).toThrow(HostEntryInvalid);
    },
  );
});
