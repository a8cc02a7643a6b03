import { describe, expect, it } from 'vitest';
import type { KeyValueGetOptions, KeyValues } from '../store/types.ts';
import { buildDatastoreSnapshot, datastoreReferences, keyValueLookup, type KeyValueLookup } from './datastore-snapshot.ts';
import { renderValueWithDatastore } from './render.ts';

/** An in-memory datastore: the real one lives in the store package's implementations. */
function memoryKv(system: Record<string, string>, user: Record<string, string> = {}) {
  const calls: string[] = [];
  const lookup: KeyValueLookup = {
    async get(name, { scope, decrypt }) {
      calls.push(`${scope}:${name}:${decrypt ? 'decrypt' : 'plain'}`);
      const value = (scope === 'system' ? system : user)[name];
      return value === undefined ? undefined : decrypt && value.startsWith('enc:') ? value.slice(4) : value;
    },
  };
  return { lookup, calls };
}

describe('datastore references', () => {
  it('finds dotted and bracketed references in nested values', () => {
    const refs = datastoreReferences({ a: ['{{ st2kv.system.x.y }}', "{{ st2kv.user['my-key'] }}"], b: '{{ st2kv . system . z }}' });
    expect(refs).toEqual([
      { scope: 'system', path: ['x', 'y'] },
      { scope: 'user', path: ['my-key'] },
      { scope: 'system', path: ['z'] },
    ]);
  });
});

describe('rendering over the datastore', () => {
  it('fetches only referenced keys and renders them; a missing key is empty', async () => {
    const { lookup, calls } = memoryKv({ region: 'eu-west-1', 'app.port': '8080', other: 'never' }, { token: 'u-1' });
    const rendered = await renderValueWithDatastore(
      { r: '{{ st2kv.system.region }}', p: '{{ st2kv.system.app.port | int }}', m: 'x{{ st2kv.system.missing }}y', u: '{{ st2kv.user.token }}' },
      {},
      { kv: lookup },
    );
    expect(rendered).toEqual({ r: 'eu-west-1', p: 8080, m: 'xy', u: 'u-1' });
    expect(calls.some((call) => call.includes('other'))).toBe(false);
    expect(calls).toContain('user:token:plain');
  });

  it('decrypts when the template uses decrypt_kv or when asked', async () => {
    const { lookup } = memoryKv({ password: 'enc:s3cret' });
    expect(await renderValueWithDatastore('{{ st2kv.system.password }}', {}, { kv: lookup })).toBe('enc:s3cret');
    expect(await renderValueWithDatastore('{{ st2kv.system.password | decrypt_kv }}', {}, { kv: lookup })).toBe('s3cret');
    expect(await renderValueWithDatastore('{{ st2kv.system.password }}', {}, { kv: lookup, decrypt: true })).toBe('s3cret');
  });

  it('serves a key that is also the prefix of another key', async () => {
    const { lookup } = memoryKv({ a: 'top', 'a.b': 'nested' });
    const snapshot = await buildDatastoreSnapshot(['{{ st2kv.system.a }}', '{{ st2kv.system.a.b }}'], lookup);
    expect(String(snapshot.system['a'])).toBe('top');
    expect(await renderValueWithDatastore('{{ st2kv.system.a }}/{{ st2kv.system.a.b }}', {}, { kv: lookup })).toBe('top/nested');
    expect(await renderValueWithDatastore('{{ st2kv.system.a }}', {}, { kv: lookup })).toBe('top');
  });

  it('adapts the datastore service, passing scope, decrypt and the user', async () => {
    const seen: KeyValueGetOptions[] = [];
    // Only `get` is exercised; the store contract suite tests real KeyValues implementations.
    const keyValues = {
      async get(name: string, options: KeyValueGetOptions = {}) {
        seen.push(options);
        return name === 'k' ? { name, scope: options.scope ?? 'system', value: 'v', secret: false } : undefined;
      },
    } as unknown as KeyValues;
    const lookup = keyValueLookup(keyValues, 'ann');
    expect(await renderValueWithDatastore('{{ st2kv.user.k }}/{{ st2kv.system.none_here }}', {}, { kv: lookup })).toBe('v/');
    expect(seen).toContainEqual({ scope: 'user', decrypt: false, user: 'ann' });
  });
});
