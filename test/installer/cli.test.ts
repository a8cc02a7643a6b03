import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writePack } from './fixtures.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/packrun.mjs');
const run = promisify(execFile);

describe('packrun pack', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  const packrun = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    root = await tempDir('cli');
    env = { ...process.env, PACKRUN_HOME: path.join(root, 'home') };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('installs with plain stage lines off a terminal, lists, shows, and removes', async () => {
    const base = await writePack(path.join(root, 'base'), { ref: 'base', version: '1.0.0' });
    const app = await writePack(path.join(root, 'app'), { ref: 'app', version: '2.1.0', dependencies: [`file://${root}/missing.git`] });
    const failed = await packrun('pack', 'install', app);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/error \[PACK_FETCH_FAILED\]/);

    const installed = await packrun('pack', 'install', base);
    expect(installed.code).toBe(0);
    expect(installed.stderr).toMatch(/^resolving .*\nfetching .*\n/m);
    expect(installed.stderr).toContain('done base: base 1.0.0 installed');
    expect(installed.stderr).not.toContain('\r');
    expect(installed.stdout).toBe('installed base 1.0.0 (no env): 1 of 1 actions runnable\n');

    const list = JSON.parse((await packrun('pack', 'list', '--json')).stdout) as Array<{ ref: string; version: string; source: string; envState: string }>;
    expect(list.map((p) => [p.ref, p.version, p.source, p.envState])).toEqual([['base', '1.0.0', base, 'none']]);
    expect((await packrun('pack', 'info', 'base')).stdout).toMatch(/version\s+1\.0\.0/);

    expect((await packrun('pack', 'remove', 'base')).stdout).toBe('removed base\n');
    const gone = await packrun('pack', 'remove', 'base');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('PACK_NOT_INSTALLED');
    // Each call starts the whole CLI from source, which takes seconds on a loaded machine.
  }, 300_000);
});
