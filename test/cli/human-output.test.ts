import { execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { homeWithPacks, repoRoot, type PackrunHome } from '../runner/fixtures.ts';

const run = promisify(execFile);

/**
 * The lists people read (packages/cli/src/output/table.ts): a header row, columns as wide as their
 * content, a sentence when empty, control characters escaped, colour on a terminal only. The real
 * CLI on a store of its own (no server): the table module is the same for every list.
 */
let home: PackrunHome;
const packrun = (args: string[], env: Record<string, string> = {}) => runPackrunCli(args, { ...home.env, ...env });
const esc = '\u001b';

beforeAll(async () => {
  home = await homeWithPacks(['core']);
});

afterAll(async () => {
  await rm(home.home, { recursive: true, force: true });
});

/** The CLI under `script`: its stdout is a terminal, as a person's is. */
async function onTerminal(args: string[], env: Record<string, string> = {}): Promise<string> {
  const command = [process.execPath, path.join(repoRoot, 'packages/cli/bin/packrun.mjs'), ...args].map((word) => `'${word}'`).join(' ');
  const { stdout } = await run('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TERM: 'xterm', ...home.env, ...env } });
  return stdout.replaceAll('\r\n', '\n');
}

describe('list output', () => {
  it('says so in a sentence when a list is empty', async () => {
    expect((await packrun(['execution', 'list'])).stdout).toBe('no executions\n');
    expect((await packrun(['key', 'list'])).stdout).toBe('no keys\n');
  });

  it('aligns columns under a header from their content, and escapes control characters in cells', async () => {
    expect((await packrun(['key', 'set', 'a', 'short'])).code).toBe(0);
    expect((await packrun(['key', 'set', 'a_much_longer_name', `evil${esc}]0;retitled\u0007 and\nnewline`])).code).toBe(0);
    expect((await packrun(['key', 'set', 'token', 's3cret', '--secret'])).code).toBe(0);
    const { stdout } = await packrun(['key', 'list']);
    expect(stdout).not.toContain(esc);
    expect(stdout).toBe(
      [
        'name                value                                 secret',
        'a                   short',
        'a_much_longer_name  evil\\x1b]0;retitled\\x07 and\\nnewline',
        'token               ********                              secret',
        '',
      ].join('\n'),
    );
  });

  it('shows whole ids and colours statuses only on a terminal without NO_COLOR, or with FORCE_COLOR', async () => {
    const done = await packrun(['run', 'core.local', 'cmd=true']);
    expect(done.code, done.stderr).toBe(0);
    const id = /^id: ([0-9a-f]{32})$/m.exec(done.stdout)![1]!;
    const piped = (await packrun(['execution', 'list'])).stdout;
    expect(piped).toMatch(new RegExp(`^id {32}action {6}status {5}requested {17}took\\n${id}  core\\.local  succeeded  \\S+Z  \\d+\\.\\d\\ds\\n$`));

    const terminal = await onTerminal(['execution', 'list']);
    expect(terminal).toContain(`${esc}[32msucceeded${esc}[39m`);
    expect(terminal).toContain(`${esc}[1mid`);
    expect(await onTerminal(['execution', 'list'], { NO_COLOR: '1' })).not.toContain(esc);
    expect((await packrun(['execution', 'list'], { FORCE_COLOR: '1' })).stdout).toContain(`${esc}[32msucceeded${esc}[39m`);
  });

  it('ends quietly, with 0, when its reader has gone (`packrun doctor | head -1`)', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/bin/packrun.mjs'), 'doctor'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...home.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader leaves before the CLI has started: its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
