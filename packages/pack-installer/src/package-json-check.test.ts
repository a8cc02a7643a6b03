import { describe, expect, it } from 'vitest';
import { assertSafePackageJson } from './package-json-check.ts';

const check = (dependencies: Record<string, string>, allow = false) => () =>
  assertSafePackageJson(JSON.stringify({ name: 'p', dependencies }), 'p/package.json', allow);

describe('assertSafePackageJson', () => {
  it('accepts registry versions, ranges, tags and npm: aliases', () => {
    expect(check({ a: '1.2.3', b: '^2.0.0', c: '>=1 <3', d: 'latest', e: 'npm:other@^1', f: '*' })).not.toThrow();
  });

  for (const spec of ['file:../x', 'link:../x', 'git+https://example.invalid/x.git', 'github:o/r', 'o/r', 'https://example.invalid/x.tgz', './x']) {
    it(`refuses ${spec} unless allowed`, () => {
      expect(check({ x: spec })).toThrow(expect.objectContaining({ code: 'PACK_REQUIREMENTS_UNSAFE', message: expect.stringContaining('dependencies.x') }));
      expect(check({ x: spec }, true)).not.toThrow();
    });
  }

  it('refuses a package.json that is not JSON', () => {
    expect(() => assertSafePackageJson('{', 'p/package.json', false)).toThrow(expect.objectContaining({ code: 'PACK_INVALID' }));
  });
});
