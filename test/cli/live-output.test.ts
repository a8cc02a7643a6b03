import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks, repoRoot, type PackrunHome } from '../runner/fixtures.ts';
import { freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * `packrun run` shows the action's stdout and stderr as they are written, then the result (as
 * `st2 run` does). The action prints a line and then waits for a file only the test creates, after
 * it saw that line on the CLI's stdout: the line cannot have come at the end.
 */
let home: PackrunHome;
/** The folder the gate file goes in, granted to core.local read-only (jobs have a private /tmp). */
let gates: string;

beforeAll(async () => {
  gates = await mkdtemp(path.join(os.tmpdir(), 'packrun-live-gates-'));
  // Jobs run as a uid of their own: it must be able to look into the folder.
  await chmod(gates, 0o755);
  home = await homeWithPacks(['core'], { PACKRUN_SANDBOX_HOST_PATHS: `core.local=${gates}` });
});

afterAll(async () => {
  await rm(home.home, { recursive: true, force: true });
  await rm(gates, { recursive: true, force: true });
});

/** `packrun -v run core.local` with a command that prints, waits for `gate`, prints more, exits. */
function runGated(gate: string) {
  const cmd = `echo first line; while [ ! -e ${gate} ]; do sleep 0.05; done; echo to stderr >&2; echo last line`;
  const child = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/bin/packrun.mjs'), '-v', 'run', 'core.local', `cmd=${cmd}`], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...home.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('close', (exit) => resolve((code = exit))));
  return { stdout: () => stdout, stderr: () => stderr, exited: () => code !== undefined, done: exited, kill: () => child.kill('SIGTERM') };
}

async function expectLiveOutput(name: string): Promise<string> {
  const gate = path.join(gates, name);
  const run = runGated(gate);
  try {
    await retryUntil(() => run.stdout().includes('first line') || run.exited(), { withinMs: 60_000, what: 'the first line on the CLI\'s stdout' });
    // The action is still held at the gate: the line came while it ran, before any result.
    expect(run.exited(), run.stderr()).toBe(false);
    expect(run.stdout()).toBe('first line\n');
    await writeFile(gate, '');
    expect(await run.done, run.stderr()).toBe(0);
  } finally {
    if (!run.exited()) run.kill();
  }
  const stdout = run.stdout();
  expect(run.stderr()).toContain('to stderr\n');
  // Output in the order written, then the result last, output not repeated in it.
  expect(stdout).toMatch(/^first line\nlast line\nid: [0-9a-f]{32}\naction: core\.local\nstatus: succeeded, [\d.]+ s\nresult: \{[^]*\}\n$/);
  expect(stdout.match(/first line/g)).toHaveLength(1);
  return run.stderr();
}

describe('packrun run shows output as it comes', () => {
  it('offline, running the action in the CLI itself', async () => {
    const stderr = await expectLiveOutput('offline');
    expect(stderr).toContain('no server runs on');
  });

  describe('through packrun up', () => {
    let up: PackrunProcess;
    beforeAll(async () => {
      up = startPackrun(['up'], { ...home.env, PACKRUN_API_PORT: String(await freePort()) });
      await up.waitForOutput(/packrun is up/);
    });
    afterAll(async () => {
      up.signal('SIGTERM');
      await up.exited;
    });

    it('streams it from the API', async () => {
      const stderr = await expectLiveOutput('api');
      expect(stderr).toContain('through the API at');
    });
  });
});
