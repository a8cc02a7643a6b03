import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { freePort } from '../services/packrun-process.ts';

const run = promisify(execFile);

/**
 * The npm package as a user installs it (issue 17): scripts/pack.mjs makes packrun-<version>.tgz,
 * `npm install -g --prefix` puts it in a clean prefix (its dependencies from the registry,
 * better-sqlite3 compiled there), and the installed command answers --version and runs `packrun up`.
 * About 3 minutes on this machine, nearly all of it compiling better-sqlite3: opt-in with
 * PACKRUN_TEST_NPM_PACKAGE=1 (scripts/test.sh sets it).
 */
const enabled = process.env['PACKRUN_TEST_NPM_PACKAGE'] === '1';

describe.skipIf(!enabled)('the npm package (PACKRUN_TEST_NPM_PACKAGE=1; skipped otherwise: compiling better-sqlite3 takes minutes)', () => {
  let tmp: string;
  let packrun: string;
  let tarball: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'packrun-npm-'));
    tarball = (await run(process.execPath, [path.join(repoRoot, 'scripts/pack.mjs'), tmp])).stdout.trim();
    // node-gyp compiles better-sqlite3 against this Node's own headers, as scripts/setup.sh does.
    const nodePrefix = path.resolve(process.execPath, '../..');
    await run('npm', ['install', '-g', '--prefix', path.join(tmp, 'prefix'), '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      env: { ...process.env, npm_config_nodedir: nodePrefix },
      maxBuffer: 16 * 1024 * 1024,
    });
    packrun = path.join(tmp, 'prefix/bin/packrun');
  }, 600_000);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('carries the bundle, the wrapper runtimes and the core pack, and no sources', async () => {
    const files = (await run('tar', ['tzf', tarball], { maxBuffer: 16 * 1024 * 1024 })).stdout.split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/packages/cli/bin/packrun.mjs',
        'package/packages/cli/dist/main.mjs',
        'package/packages/core/node/action-wrapper.mjs',
        'package/packages/core/python/packrun_action_wrapper.py',
        'package/packages/sensor-container/node/sensor-wrapper.mjs',
        'package/packs/core/pack.yaml',
      ]),
    );
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
  });

  it('installs a packrun command that prints its version and runs packrun up', async () => {
    const { version } = JSON.parse(await readFile(path.join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { version: string };
    const env = { PATH: `${path.dirname(packrun)}:/usr/bin:/bin`, PACKRUN_HOME: path.join(tmp, 'home') };
    expect((await run(packrun, ['--version'], { env })).stdout).toMatch(new RegExp(`^${version.replaceAll('.', '\\.')}( \\(commit [0-9a-f]{12}\\))?\n$`));

    const port = await freePort();
    const up = spawn(packrun, ['up'], { env: { ...env, PACKRUN_API_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    up.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    up.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    try {
      await retryUntil(() => /packrun is up/.test(output) || up.exitCode !== null, { withinMs: 60_000, what: 'packrun up from the npm package' });
      expect(output).toMatch(/built-in pack core [\d.]+ installed/);
      const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      // An action in the sandbox: the wrapper runtimes are found where the package put them.
      const ran = await run(packrun, ['run', 'core.local', 'cmd=echo from-the-package'], { env });
      expect(ran.stdout).toContain('from-the-package');
    } finally {
      up.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
  }, 120_000);
});
