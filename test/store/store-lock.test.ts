import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '@packrun/core';
import { killHard, startWithCore } from './core-child.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-store-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await killHard(child);
});

let n = 0;
function freshDir(): string {
  const dir = path.join(root, `store-${(n += 1)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const lockFile = (dir: string): string => path.join(dir, '.lock');
const forge = (dir: string, owner: Record<string, unknown>): void =>
  writeFileSync(lockFile(dir), JSON.stringify({ host: os.hostname(), since: '2026-01-01T00:00:00.000Z', bootId, ...owner }));

/** A live process that is not a Packrun store: only its pid and start time matter. */
function sleeper(): ChildProcess {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function opens(dir: string): Promise<boolean> {
  const store = await openEmbeddedStore({ dir });
  await store.ping();
  await store.close();
  return !existsSync(lockFile(dir));
}

describe('embedded store lock', () => {
  it('records who holds it: pid, that process start time, boot id, host', async () => {
    const dir = freshDir();
    const store = await openEmbeddedStore({ dir });
    const owner = JSON.parse(readFileSync(lockFile(dir), 'utf8')) as Record<string, unknown>;
    expect(owner).toMatchObject({ pid: process.pid, startTime: startTimeOf(process.pid), bootId, host: os.hostname() });
    await store.close();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('takes over the lock of a store process that was SIGKILLed', async () => {
    const dir = freshDir();
    const holder = await startWithCore(
      `import { openEmbeddedStore } from '@packrun/core';
       const store = await openEmbeddedStore({ dir: ${JSON.stringify(dir)} });
       await store.executions.insert({ id: 'from-child', action: 'a.b', pack: 'a', parameters: {}, status: 'requested', log: [], createdAt: '2026-01-01T00:00:00.000Z', context: {} });
       console.log('holding');
       setInterval(() => undefined, 1000);`,
      'holding',
    );
    children.push(holder);
    await expect(openEmbeddedStore({ dir })).rejects.toMatchObject({ code: 'STORE_LOCKED', message: expect.stringContaining(`process ${holder.pid}`) });
    await killHard(holder);
    const store = await openEmbeddedStore({ dir });
    // What the killed process had stored is there: its commit was in the log.
    expect((await store.executions.get('from-child'))?.id).toBe('from-child');
    await store.close();
  });

  it('refuses while the recorded process lives, started when the lock says', async () => {
    const dir = freshDir();
    const alive = sleeper();
    forge(dir, { pid: alive.pid, startTime: startTimeOf(alive.pid ?? 0) });
    await expect(openEmbeddedStore({ dir })).rejects.toMatchObject({ code: 'STORE_LOCKED', details: { lockFile: lockFile(dir) } });
    await killHard(alive);
    expect(await opens(dir)).toBe(true);
  });

  it('takes over a lock whose pid now belongs to a process started at another time', async () => {
    const dir = freshDir();
    const reused = sleeper();
    forge(dir, { pid: reused.pid, startTime: String(Number(startTimeOf(reused.pid ?? 0)) - 1000) });
    expect(await opens(dir)).toBe(true);
  });

  it('takes over a lock naming our own pid with another start time (pid 1 of a restarted container)', async () => {
    const dir = freshDir();
    forge(dir, { pid: process.pid, startTime: String(Number(startTimeOf(process.pid)) - 1) });
    expect(await opens(dir)).toBe(true);
  });

  it('takes over a lock from another boot, even if its pid and start time match a live process', async () => {
    const dir = freshDir();
    const alive = sleeper();
    forge(dir, { pid: alive.pid, startTime: startTimeOf(alive.pid ?? 0), bootId: '00000000-0000-4000-8000-000000000000' });
    expect(await opens(dir)).toBe(true);
  });

  it('takes over a lock of a gone pid written under another host name (a container recreated)', async () => {
    const dir = freshDir();
    const gone = spawn('true');
    await new Promise((resolve) => gone.on('exit', resolve));
    forge(dir, { pid: gone.pid, startTime: '1', host: 'old-container-name' });
    expect(await opens(dir)).toBe(true);
  });

  it('refuses a second opener in this process: our pid with our start time', async () => {
    const dir = freshDir();
    const store = await openEmbeddedStore({ dir });
    await expect(openEmbeddedStore({ dir })).rejects.toMatchObject({ code: 'STORE_LOCKED' });
    await store.close();
  });

  it('leaves no stray files behind when it refuses or takes over', async () => {
    const dir = freshDir();
    forge(dir, { pid: process.pid, startTime: '1' });
    expect(await opens(dir)).toBe(true);
    expect(readdirSync(dir).filter((name) => name.startsWith('.lock'))).toEqual([]);
  });
});
