import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** What `packrun up` as shipped costs on a given store: its own process, sandbox as the host has it. */
export interface UpFigures {
  /** From spawning `packrun up` to its API answering an authenticated listing. */
  startupMs: number;
  /** VmRSS of the `packrun up` process after it listed the store's newest executions a few times. */
  rssMiB: number;
}

function waitForFile(file: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  return new Promise((resolve, reject) => {
    const look = (): void => {
      if (existsSync(file)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${file} did not appear within ${withinMs} ms`));
      setTimeout(look, 20);
    };
    look();
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function rssMiBOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

/**
 * Starts `bin/packrun up` on a copy of `storeDir` twice: the first start installs the built-in
 * packs (not measured), the second is measured, from spawn to the first listing answered, and its
 * memory read once it has listed the newest executions (with and without a filter) ten times.
 */
export async function measurePackrunUp(storeDir: string): Promise<UpFigures> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-up-'));
  try {
    cpSync(storeDir, path.join(home, 'store'), { recursive: true });
    const env = { ...process.env, PACKRUN_HOME: home, PACKRUN_API_PORT: '0', PACKRUN_LOG_LEVEL: 'error' };
    const addressFile = path.join(home, 'run', 'api.json');
    const start = (): ChildProcess => spawn(path.join(repoRoot, 'bin', 'packrun'), ['up'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const first = start();
    try {
      await waitForFile(addressFile, 300_000);
    } finally {
      await stop(first);
    }
    // The first server's record, if its exit left it, must not be taken for the second's.
    rmSync(addressFile, { force: true });
    const startedAt = performance.now();
    const child = start();
    // Whatever fails below, the server started here does not outlive the measurement.
    try {
      return await measureRunning(child, home, addressFile, startedAt);
    } finally {
      await stop(child);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The measured start's figures: spawn to its first listing answered, then its memory after twenty. */
async function measureRunning(child: ChildProcess, home: string, addressFile: string, startedAt: number): Promise<UpFigures> {
  await waitForFile(addressFile, 120_000);
  const { url } = JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string };
  const key = readFileSync(path.join(home, 'secrets', 'cli-api-key'), 'utf8').trim();
  const list = async (query: string): Promise<void> => {
    const response = await fetch(new URL(`/api/v1/executions?${query}`, url), { headers: { 'x-api-key': key } });
    if (!response.ok) throw new Error(`listing answered ${response.status}`);
    await response.arrayBuffer();
  };
  await list('limit=50');
  const startupMs = performance.now() - startedAt;
  for (let index = 0; index < 10; index += 1) {
    await list('limit=50&status=failed');
    await list('limit=50');
  }
  return { startupMs, rssMiB: rssMiBOf(child.pid!) };
}
