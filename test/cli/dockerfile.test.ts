import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../runner/fixtures.ts';

const run = promisify(execFile);
const hadolint = path.join(repoRoot, '.tools/py/bin/hadolint');

/**
 * The image's Dockerfile. No Docker and no base image here, so it is not built: hadolint checks it,
 * and its two Packrun steps are the ones test/cli/npm-package.test.ts runs into a folder (the
 * package made by scripts/pack.mjs, installed with npm install --global).
 */
describe('the Dockerfile', () => {
  it.runIf(existsSync(hadolint))('passes hadolint (skipped without it: scripts/setup.sh installs it into .tools/py)', async () => {
    const result = await run(hadolint, ['--no-color', path.join(repoRoot, 'Dockerfile')]).catch((error: { stdout: string; code: number }) => error);
    expect('code' in result ? result.stdout : '').toBe('');
  });

  it('makes the npm package and installs it the way the npm package test does', async () => {
    const dockerfile = await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/node scripts\/pack\.mjs \/out/);
    expect(dockerfile).toMatch(/npm install --global [^\n]*\/tmp\/packrun\/packrun-\*\.tgz/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["packrun"\]$/m);
    // What the build stage rebuilds itself never comes from the checkout.
    const ignored = (await readFile(path.join(repoRoot, '.dockerignore'), 'utf8')).split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '.tools', 'packages/cli/dist']));
  });
});
