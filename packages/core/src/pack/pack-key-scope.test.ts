import { describe, expect, it } from 'vitest';
import { keyReadRefusal, keyWriteRefusal, localKeyOwner, packScopedLookup } from './pack-key-scope.ts';

describe('pack key scope', () => {
  it("finds the pack a local key belongs to, whatever the class, and case", () => {
    expect(localKeyOwner('victim.Reader:token')).toBe('victim');
    expect(localKeyOwner('Victim.Reader:token')).toBe('victim');
    expect(localKeyOwner('victim.:x')).toBe('victim');
    expect(localKeyOwner('victim.a.b:c')).toBe('victim');
    expect(localKeyOwner('victim.token')).toBeUndefined();
    expect(localKeyOwner('plain')).toBeUndefined();
    expect(localKeyOwner('a:b.c:d')).toBeUndefined();
  });

  it("lets a pack read system keys and its own local keys, never another pack's", () => {
    const thief = { pack: 'thief' };
    expect(keyReadRefusal(thief, 'shared')).toBeUndefined();
    expect(keyReadRefusal(thief, 'thief.Any:x')).toBeUndefined();
    expect(keyReadRefusal(thief, 'victim.Reader:token')).toContain('local to pack "victim"');
    expect(keyReadRefusal(thief, 'VICTIM.Reader:token')).toBeDefined();
  });

  it('lets a pack write its own local keys and user keys, system keys only with the grant', () => {
    const thief = { pack: 'thief', mayWriteSystem: false };
    expect(keyWriteRefusal(thief, 'thief.C:x', 'system')).toBeUndefined();
    expect(keyWriteRefusal(thief, 'note', 'user')).toBeUndefined();
    expect(keyWriteRefusal(thief, 'shared', 'system')).toContain('only its own local datastore keys');
    expect(keyWriteRefusal({ ...thief, mayWriteSystem: true }, 'shared', 'system')).toBeUndefined();
    expect(keyWriteRefusal({ ...thief, mayWriteSystem: true }, 'victim.C:x', 'system')).toBeDefined();
    expect(keyWriteRefusal(thief, 'victim.C:x', 'user')).toBeDefined();
  });

  it("answers another pack's local keys as missing to a pack's templates", async () => {
    const lookup = packScopedLookup({ get: async (name) => `value of ${name}` }, 'thief');
    expect(await lookup.get('victim.C:x', { scope: 'system', decrypt: true })).toBeUndefined();
    expect(await lookup.get('shared', { scope: 'system', decrypt: true })).toBe('value of shared');
  });
});
