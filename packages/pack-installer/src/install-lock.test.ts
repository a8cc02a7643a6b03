import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentProcessIdentity, dataPaths, type DataPaths } from '@packrun/core';
import { withPackLocks } from './install-lock.ts';

/** Resolves when a locker reports that it found the lock held and is waiting. */
function waitSignal(): { onWait: () => void; waiting: Promise<void> } {
  let onWait!: () => void;
  const waiting = new Promise<void>((resolve) => (onWait = resolve));
  return { onWait, waiting };
}

describe('withPackLocks', () => {
  let paths: DataPaths;
  beforeAll(async () => {
    paths = dataPaths(await mkdtemp(path.join(os.tmpdir(), 'packrun-lock-')));
  });
  afterAll(async () => {
    await rm(paths.home, { recursive: true, force: true });
  });

  it('serialises work on the same pack and lets other packs through', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = withPackLocks(paths, ['alpha'], async () => {
      order.push('first:start');
      await held;
      order.push('first:end');
    });
    const secondWaits = waitSignal();
    const second = withPackLocks(paths, ['alpha'], async () => void order.push('second'), { onWait: secondWaits.onWait });
    const other = withPackLocks(paths, ['beta'], async () => void order.push('other'));
    await other;
    await secondWaits.waiting;
    expect(order).toEqual(['first:start', 'other']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first:start', 'other', 'first:end', 'second']);
  });

  it('waits for a live process that holds the lock, and takes over once that process dies', async () => {
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    const lockFile = path.join(paths.home, 'locks', 'gamma.lock');
    await mkdir(path.dirname(lockFile), { recursive: true });
    await writeFile(lockFile, JSON.stringify({ pid: holder.pid, host: os.hostname(), since: new Date().toISOString() }));
    let ran = false;
    const signal = waitSignal();
    const waiting = withPackLocks(
      paths,
      ['gamma'],
      async () => {
        ran = true;
        return JSON.parse(await readFile(lockFile, 'utf8')).pid as number;
      },
      { onWait: signal.onWait },
    );
    await signal.waiting;
    expect(ran).toBe(false);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    expect(await waiting).toBe(process.pid);
  });

  it('takes over a lock left by a dead process straight away', async () => {
    const dead = spawnSync('true').pid;
    const lockFile = path.join(paths.home, 'locks', 'delta.lock');
    await writeFile(lockFile, JSON.stringify({ pid: dead, host: os.hostname(), since: new Date().toISOString() }));
    await expect(withPackLocks(paths, ['delta'], async () => 'done')).resolves.toBe('done');
  });

  it('takes over a lock whose pid now belongs to another process, our own included (a restarted container runs as the same pid)', async () => {
    const me = currentProcessIdentity();
    const reused = { ...me, startTime: String(Number(me.startTime ?? 0) + 1), since: new Date().toISOString() };
    const lockFile = path.join(paths.home, 'locks', 'zeta.lock');
    await writeFile(lockFile, JSON.stringify(reused));
    await expect(withPackLocks(paths, ['zeta'], async () => 'done', { timeoutMs: 300 })).resolves.toBe('done');
  });

  it('takes over a lock written before the machine booted again', async () => {
    const lockFile = path.join(paths.home, 'locks', 'eta.lock');
    await writeFile(lockFile, JSON.stringify({ ...currentProcessIdentity(), bootId: 'another-boot', since: new Date().toISOString() }));
    await expect(withPackLocks(paths, ['eta'], async () => 'done', { timeoutMs: 300 })).resolves.toBe('done');
  });

  it('gives up with PACK_LOCKED after the timeout and releases on failure', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = withPackLocks(paths, ['epsilon'], () => {
      entered();
      return held;
    });
    // Only once the first holder is in: both start at once, and either could take the lock first.
    await inside;
    await expect(withPackLocks(paths, ['epsilon'], async () => 'never', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'PACK_LOCKED' });
    release();
    await first;
    await expect(withPackLocks(paths, ['epsilon'], async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(withPackLocks(paths, ['epsilon'], async () => 'free again')).resolves.toBe('free again');
  });
});
