import { PackrunError } from '@packrun/core';

/**
 * A pack's package.json may only take dependencies from the npm registry (versions, ranges,
 * tags, `npm:` aliases); git, URL, `file:` and `link:` specs would pull code from places the
 * operator did not choose, as index options do in requirements.txt.
 */
const dependencyFields = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

function specProblem(spec: string): string | undefined {
  const value = spec.trim();
  if (value.startsWith('npm:')) return undefined;
  if (/^(file|link|portal|workspace):/i.test(value)) return 'is a local path';
  if (/^(git|git\+[a-z]+|github|gitlab|bitbucket|gist):/i.test(value)) return 'is a git source';
  if (/^https?:/i.test(value)) return 'is a URL';
  if (/^[./~]/.test(value)) return 'is a local path';
  if (/^[\w.-]+\/[\w.-]+(#.*)?$/.test(value)) return 'is a GitHub shorthand';
  return undefined;
}

export function assertSafePackageJson(content: string, file: string, allowUnsafe: boolean): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (cause) {
    throw new PackrunError('PACK_INVALID', `${file} is not valid JSON`, { details: { file }, cause });
  }
  if (allowUnsafe) return;
  const problems: string[] = [];
  for (const field of dependencyFields) {
    const deps = (parsed as Record<string, unknown> | null)?.[field];
    if (typeof deps !== 'object' || deps === null) continue;
    for (const [name, spec] of Object.entries(deps)) {
      const why = typeof spec === 'string' ? specProblem(spec) : 'is not a version string';
      if (why) problems.push(`${field}.${name}: "${String(spec)}" ${why}`);
    }
  }
  if (problems.length === 0) return;
  throw new PackrunError('PACK_REQUIREMENTS_UNSAFE', `${file} has dependencies that do not come from the npm registry:\n  ${problems.join('\n  ')}`, {
    hint: 'name registry packages by version or range, or set PACKRUN_ALLOW_UNSAFE_REQUIREMENTS=true if you trust this pack',
    details: { file, problems },
  });
}
