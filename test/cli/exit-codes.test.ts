/**
 * One exit-status table for every command (docs/errors.md, "Exit statuses"), checked on the real
 * packrun command in its own process: 0 done, 1 what ran failed, 2 refused (usage or a coded
 * error), 3 not available now (retry later).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodes } from '../../packages/cli/src/exit.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';

let home: string;
const cli = (args: string[], env: Record<string, string> = {}) => runPackrunCli(args, { PACKRUN_HOME: home, ...env });

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'packrun-exit-codes-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('exit statuses', () => {
  it('0 when an execution succeeds, 1 when it fails', async () => {
    expect((await cli(['run', 'core.local', 'cmd=true'])).code).toBe(exitCodes.ok);
    const failed = await cli(['run', 'core.local', 'cmd=exit 3']);
    expect(failed.code).toBe(exitCodes.failed);
  });

  it('2 for usage errors: an unknown option, a missing argument, no command', async () => {
    expect((await cli(['key', 'list', '--no-such-option'])).code).toBe(exitCodes.refused);
    expect((await cli(['key', 'get'])).code).toBe(exitCodes.refused);
    expect((await cli([])).code).toBe(exitCodes.refused);
  });

  it('2 for a refused request, with its code on stderr', async () => {
    const missing = await cli(['run', 'nopack.nothing']);
    expect(missing.code).toBe(exitCodes.refused);
    expect(missing.stderr).toContain('error [PACK_NOT_INSTALLED]');
  });

  it('3 when no server answers', async () => {
    const unreachable = await cli(['key', 'list'], { PACKRUN_API_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(exitCodes.unavailable);
    expect(unreachable.stderr).toContain('error [API_UNREACHABLE]');
  });

  it('0 for help and version', async () => {
    expect((await cli(['--help'])).code).toBe(exitCodes.ok);
    expect((await cli(['run', '--help'])).code).toBe(exitCodes.ok);
    expect((await cli(['--version'])).code).toBe(exitCodes.ok);
  });

  it('every status is in docs/errors.md', async () => {
    const doc = await readFile(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## Exit statuses'));
    for (const status of Object.values(exitCodes)) expect(table).toMatch(new RegExp(`^\\| ${status} \\|`, 'm'));
  });
});
