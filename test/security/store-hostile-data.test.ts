import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore, openKeyValues, type Store } from '@packrun/core';

// Attacks on the embedded store through data that untrusted code controls: a datastore value an
// action sets over its control channel, a trigger payload a sensor or webhook caller sends. Against
// the NeDB store these destroyed data: one U+2028 in a value made the next start refuse the store
// ("corrupt") or drop records silently; a deeply nested payload was accepted, then made the store
// unreadable after a restart (and 100 levels of arrays held a core for minutes).

const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-hostile-store-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** What an action's `set_value` over its control channel ends in: the datastore service's set. */
const setByAction = (store: Store, name: string, value: string): Promise<unknown> =>
  openKeyValues(store, { home, datastoreKey: undefined }).set(name, value, { scope: 'system' });

const instance = (id: string, payload: Record<string, unknown>) => ({ id, trigger: 'core.st2.webhook', payload, occurredAt: '2026-01-01T00:00:00.000Z', status: 'pending' as const });

describe('hostile data against the embedded store', () => {
  it('a datastore value or payload with line separators survives a restart, and so does everything else', async () => {
    const dir = path.join(home, 'separators');
    let store = await openEmbeddedStore({ dir });
    // A few honest keys first: NeDB's corruption check is a share of the lines.
    for (let index = 0; index < 5; index += 1) await setByAction(store, `honest-${index}`, `value ${index}`);
    await setByAction(store, 'evil', 'a\u2028b\u2029c\u0085d');
    await store.triggerInstances.insert(instance('ti-evil', { body: '\u2028'.repeat(10), '\u2029key': ['\u0085'] }));
    await store.close();

    store = await openEmbeddedStore({ dir });
    const keyValues = openKeyValues(store, { home, datastoreKey: undefined });
    expect((await keyValues.get('evil'))?.value).toBe('a\u2028b\u2029c\u0085d');
    expect((await keyValues.list()).map((entry) => entry.name).sort()).toEqual(['evil', 'honest-0', 'honest-1', 'honest-2', 'honest-3', 'honest-4']);
    expect((await store.triggerInstances.get('ti-evil'))?.payload).toEqual({ body: '\u2028'.repeat(10), '\u2029key': ['\u0085'] });
    await store.close();
  });

  it('a payload nested deeper than the store keeps is refused at once, and the store still opens after it', async () => {
    const dir = path.join(home, 'nesting');
    let store = await openEmbeddedStore({ dir });
    let deep: unknown = 'x';
    for (let level = 0; level < 3_000; level += 1) deep = { a: deep };
    const started = Date.now();
    await expect(store.triggerInstances.insert(instance('ti-deep', { body: deep as Record<string, unknown> }))).rejects.toMatchObject({ code: 'STORE_TOO_DEEP' });
    // The ~100-byte bodies of nested arrays, as a webhook caller sends them: NeDB's insert check
    // took 2^depth steps (12 s at 26 levels, minutes at 100).
    const arrays = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    await expect(store.triggerInstances.insert(instance('ti-arrays', { body: arrays(100) }))).rejects.toMatchObject({ code: 'STORE_TOO_DEEP' });
    await store.triggerInstances.insert(instance('ti-arrays-26', { body: arrays(26) }));
    // Not a timed assertion on speed, a bound on a hang: these took NeDB minutes.
    expect(Date.now() - started).toBeLessThan(60_000);
    await store.triggerInstances.insert(instance('ti-after', { ok: true }));
    await store.close();

    store = await openEmbeddedStore({ dir });
    expect(await store.triggerInstances.get('ti-deep')).toBeUndefined();
    expect((await store.triggerInstances.get('ti-arrays-26'))?.payload).toEqual({ body: arrays(26) });
    expect((await store.triggerInstances.get('ti-after'))?.payload).toEqual({ ok: true });
    await store.close();
  });
});
