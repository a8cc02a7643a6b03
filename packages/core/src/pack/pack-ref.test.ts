import { describe, expect, it } from 'vitest';
import { PackrunError } from '../errors.ts';
import { isValidPackRef, validatePackRef } from './pack-ref.ts';

describe('validatePackRef', () => {
  it.each(['core', 'my_pack', 'aws2', '_private', 'a'.repeat(64)])('accepts %s', (ref) => {
    expect(validatePackRef(ref)).toBe(ref);
  });

  it.each([
    ['../x', 'must match'],
    ['a/b', 'must match'],
    ['..', 'must match'],
    ['.', 'must match'],
    ['my.pack', 'must match'],
    ['My_Pack', 'must match'],
    ['a-b', 'must match'],
    ['pack\0', 'must match'],
    ['', 'must not be empty'],
    ['_global', 'reserved'],
    ['a'.repeat(65), 'at most 64'],
  ])('rejects %j', (ref, reason) => {
    let caught: unknown;
    try {
      validatePackRef(ref);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PackrunError);
    expect((caught as PackrunError).code).toBe('PACK_REF_INVALID');
    expect((caught as PackrunError).message).toContain(reason);
    expect(isValidPackRef(ref)).toBe(false);
  });

  it('rejects values that are not strings', () => {
    expect(() => validatePackRef(42)).toThrow(/must be a string/);
    expect(() => validatePackRef(undefined)).toThrow(PackrunError);
  });
});
