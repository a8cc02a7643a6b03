import { describe, expect, it } from 'vitest';
import { fitsPythonVersions, parsePythonVersions } from './python-versions.ts';

const fits = (version: string, ...wanted: string[]) => fitsPythonVersions(version, parsePythonVersions({ pythonVersions: wanted }));

describe('python_versions', () => {
  it("reads StackStorm's major versions and more precise prefixes", () => {
    expect(fits('3.11.7', '3')).toBe(true);
    expect(fits('3.11.7', '2')).toBe(false);
    expect(fits('3.11.7', '2', '3')).toBe(true);
    expect(fits('3.9.16', '3.9')).toBe(true);
    // A prefix is a whole part: 3.1 is not 3.11.
    expect(fits('3.11.7', '3.1')).toBe(false);
    expect(fits('3.9.18', '3.9.18')).toBe(true);
    expect(fits('3.9.18', '3.9.1')).toBe(false);
    expect(fits('3.11.7')).toBe(true);
  });

  it('reads comparison lists as PEP 440 does', () => {
    expect(fits('3.9.16', '>=3.8, <3.11')).toBe(true);
    expect(fits('3.11.7', '>=3.8, <3.11')).toBe(false);
    expect(fits('3.10.0', '!=3.10')).toBe(false);
    expect(fits('3.10.0', '==3.10')).toBe(true);
    expect(fits('3.9.18', '~=3.8')).toBe(true);
    expect(fits('4.0.0', '~=3.8')).toBe(false);
    expect(fits('3.9.2', '~=3.9.1')).toBe(true);
    expect(fits('3.10.0', '~=3.9.1')).toBe(false);
    expect(fits('3.9.18', '<=3.9')).toBe(false);
    expect(fits('3.9.0', '>3.8')).toBe(true);
  });

  it.each(['three', '/usr/bin/python3', '3.x', '>= ', '3;id', '', '3.9.1.2'])('refuses %j naming the item', (item) => {
    expect(() => parsePythonVersions({ pythonVersions: ['3', item] })).toThrow(expect.objectContaining({ code: 'PACK_INVALID', details: { file: 'pack.yaml', field: 'python_versions.1' } }));
  });
});
