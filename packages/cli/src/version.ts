import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** What scripts/build.mjs writes into the bundle (esbuild's define); undeclared when running from source. */
declare const PACKRUN_BUILD: { version: string; commit?: string } | undefined;

interface VersionInfo {
  version: string;
  commit?: string;
}

/** The CLI package's version and, from a git checkout, its commit (the build records both when it is made). */
function versionInfo(): VersionInfo {
  if (typeof PACKRUN_BUILD !== 'undefined' && PACKRUN_BUILD) return PACKRUN_BUILD;
  const packageDir = path.resolve(import.meta.dirname, '..');
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return commit ? { version, commit } : { version };
  } catch {
    return { version };
  }
}

/** `packrun --version`'s line: `0.1.0 (commit 1f40826abcde)`, or the version alone outside a checkout. */
export function versionText(): string {
  const { version, commit } = versionInfo();
  return commit ? `${version} (commit ${commit})` : version;
}
