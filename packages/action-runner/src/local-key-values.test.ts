import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dataPaths } from '@packrun/core';
import { LocalFileKeyValues } from './local-key-values.ts';

describe('LocalFileKeyValues', () => {
  const paths = dataPaths(mkdtempSync(path.join(os.tmpdir(), 'packrun-kv-')));
  const kv = new LocalFileKeyValues(paths);

  it('keeps keys per scope and user, lists by prefix and deletes', async () => {
    await kv.set('a.one', '1');
    await kv.set('a.two', '2');
    await kv.set('a.one', 'mine', { scope: 'user', user: 'ann' });
    expect((await kv.get('a.one'))?.value).toBe('1');
    expect((await kv.get('a.one', { scope: 'user', user: 'ann' }))?.value).toBe('mine');
    expect((await kv.get('a.one', { scope: 'user', user: 'bob' }))).toBeUndefined();
    expect((await kv.list({ prefix: 'a.' })).map((entry) => entry.name)).toEqual(['a.one', 'a.two']);
    expect(await kv.delete('a.two')).toBe(true);
    expect(await kv.delete('a.two')).toBe(false);
  });

  it('stores secrets encrypted and gives the clear value only when asked', async () => {
    await kv.set('password', 'hunter2', { encrypt: true });
    expect(readFileSync(path.join(paths.home, 'kv.json'), 'utf8')).not.toContain('hunter2');
    const hidden = await kv.get('password');
    expect(hidden?.secret).toBe(true);
    expect(hidden?.value).not.toBe('hunter2');
    expect((await kv.get('password', { decrypt: true }))?.value).toBe('hunter2');
  });

  it('treats an expired key as absent', async () => {
    await kv.set('short', 'x', { ttl: 0.001 });
    await vi.waitFor(async () => expect(await kv.get('short')).toBeUndefined());
  });
});
