import { describe, expect, it } from 'vitest';
import { assertSafeRequirements, findUnsafeRequirements } from './requirements-check.ts';

describe('findUnsafeRequirements', () => {
  it('accepts names, extras, specifiers, markers, hashes and comments', () => {
    const content = [
      '# a comment',
      'six',
      'requests[socks,security]>=2.0,<3  # trailing comment',
      'python-dateutil==2.9.0.post0',
      'pytz ~= 2024.1',
      'importlib-metadata; python_version < "3.8"',
      'attrs==23.2.0 --hash=sha256:abc \\',
      '    --hash=sha256:def',
      '--require-hashes',
      '--prefer-binary',
      '',
    ].join('\n');
    expect(findUnsafeRequirements(content)).toEqual([]);
  });

  const refused: Array<[string, RegExp]> = [
    ['--index-url https://example.invalid/simple', /index/],
    ['-i https://example.invalid/simple', /index/],
    ['--extra-index-url https://example.invalid/simple', /index/],
    ['-f /tmp/wheels', /find packages/],
    ['--find-links=https://example.invalid/', /find packages/],
    ['--trusted-host example.invalid', /TLS/],
    ['-e git+https://example.invalid/x.git#egg=x', /editable/],
    ['-r other.txt', /includes/],
    ['-c constraints.txt', /constraints/],
    ['mypkg @ https://example.invalid/mypkg.whl', /direct URL/],
    ['mypkg@file:///tmp/mypkg', /direct URL/],
    ['https://example.invalid/mypkg-1.0.tar.gz', /URL/],
    ['file:../mypkg', /URL|file/],
    ['./local/pkg', /local path/],
    ['/abs/pkg', /local path/],
    ['dist/mypkg-1.0-py3-none-any.whl', /local path|archive/],
    ['rtbuild-1.0.tar.xz', /archive/],
    ['rtbuild-1.0.TAR.BZ2', /archive/],
    ['rtbuild-1.0.txz', /archive/],
    ['rtbuild-1.0.tar', /archive/],
    ['rtbuild-1.0-py3-none-any.whl; python_version > "3"', /archive/],
    ['six==1.16.0 --global-option=--x', /option/],
    ['--some-unknown-option', /option/],
  ];
  for (const [line, reason] of refused) {
    it(`refuses ${JSON.stringify(line)}`, () => {
      const problems = findUnsafeRequirements(`six\n${line}\n`);
      expect(problems).toHaveLength(1);
      expect(problems[0]?.line).toBe(2);
      expect(problems[0]?.reason).toMatch(reason);
    });
  }

  it('reports a continued line at its first physical line', () => {
    expect(findUnsafeRequirements('six\n\n--extra-index-url \\\n  https://example.invalid\n')[0]?.line).toBe(3);
  });

  it('throws PACK_REQUIREMENTS_UNSAFE naming the file and lines, unless allowed', () => {
    expect(() => assertSafeRequirements('six\n-e .\n', 'p/requirements.txt', false)).toThrow(
      expect.objectContaining({ code: 'PACK_REQUIREMENTS_UNSAFE', message: expect.stringContaining('line 2') }),
    );
    expect(() => assertSafeRequirements('six\n-e .\n', 'p/requirements.txt', true)).not.toThrow();
  });
});
