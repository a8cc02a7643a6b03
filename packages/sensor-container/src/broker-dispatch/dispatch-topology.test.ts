import { describe, expect, it } from 'vitest';
import { dispatchInstanceId } from './dispatch-intake.ts';
import { escapeRegex, urlWithCredentials, vhostOf } from './dispatch-topology.ts';
import { RecentIds } from './recent-ids.ts';

describe('dispatch topology', () => {
  it('reads the vhost of an amqp URL, "/" when it names none', () => {
    expect(vhostOf('amqp://u:p@host:5672')).toBe('/');
    expect(vhostOf('amqp://u:p@host:5672/')).toBe('/');
    expect(vhostOf('amqp://u:p@host:5672/prod%2Fa')).toBe('prod/a');
  });

  it("swaps in a sensor user's credentials and keeps host, vhost and options", () => {
    const url = urlWithCredentials('amqp://admin:secret@broker:5673/prod?heartbeat=5', 'packrun-sensor-my_pack', 'a/b+c');
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.username)).toBe('packrun-sensor-my_pack');
    expect(decodeURIComponent(parsed.password)).toBe('a/b+c');
    expect(url).not.toContain('secret');
    expect(`${parsed.host}${parsed.pathname}${parsed.search}`).toBe('broker:5673/prod?heartbeat=5');
  });

  it('escapes pack and exchange names for the permission regexes', () => {
    const pattern = new RegExp(`^${escapeRegex('my.pack')}\\.`);
    expect(pattern.test('my.pack.tick')).toBe(true);
    expect(pattern.test('myXpack.tick')).toBe(false);
  });

  it('derives one instance id per pack and message id', () => {
    expect(dispatchInstanceId('a', 'm1')).toBe(dispatchInstanceId('a', 'm1'));
    expect(dispatchInstanceId('a', 'm1')).not.toBe(dispatchInstanceId('b', 'm1'));
    expect(dispatchInstanceId('a', 'm1')).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe('RecentIds', () => {
  it('forgets the oldest ids past its limit', () => {
    const ids = new RecentIds(2);
    ids.add('a');
    ids.add('b');
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c')]).toEqual([false, true, true]);
  });
});
