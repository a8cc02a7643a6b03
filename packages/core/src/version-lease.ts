import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PackrunError } from './errors.ts';
import { activeVersionTarget, installRecordName, readInstalledPack, versionHolder, type InstalledPack } from './installed-pack.ts';
import type { DataPaths } from './paths.ts';

/**
 * A job running from a pack version folder (packs/.versions/<id>/<ref>) holds a lease on it, so
 * an install that switches the pack to a newer version keeps the old folder (and its env) until
 * the job ends. Leases are files in `<holder>/.leases/`, named after the host and pid of the
 * process that runs the job, so a lease of a process that died is recognised and ignored.
 *
 * Taking a lease and collecting a version race without a lock, Dekker-style: the job writes its
 * lease and then looks for the collector's `.retiring` mark; the collector writes the mark and
 * then lists the leases. Whatever the interleaving, at least one of them sees the other: either
 * the collector sees the lease and keeps the folder, or the job sees the mark (or the folder
 * already gone), drops its lease and reads the install record again (which then names the newer
 * version). A folder is renamed away before it is deleted, so a job never finds one half deleted
 * with its mark already gone.
 */
const leasesName = '.leases';
const retiringName = '.retiring';
const host = os.hostname();

export interface PackLease {
  /** The install record of the leased version: its `dir` stays on disk until release. */
  installed: InstalledPack;
  release(): Promise<void>;
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/**
 * The lease file this process holds on one version folder, shared by all of its jobs running from
 * that version: a burst of executions writes and removes it once, not once per job.
 */
interface SharedLease {
  file: string;
  jobs: number;
  /** While no job holds it, the timer that drops it (see lingerMs). */
  linger?: NodeJS.Timeout;
}

/**
 * How long the lease of a version that is still active outlives its last job: executions one after
 * another then reuse one lease file rather than writing and removing one each (about 1 ms on this
 * machine). A collector waits a little longer than this for leases to go (collectVersion).
 */
const lingerMs = 400;
const collectorWaitMs = 3 * lingerMs;

/** Lease files kept past their last job, removed if the process exits first. */
const lingering = new Set<string>();
let exitCleanup = false;

function removeLingeringOnExit(): void {
  if (exitCleanup) return;
  exitCleanup = true;
  process.once('exit', () => {
    for (const file of lingering) rmSync(file, { force: true });
  });
}

/** By holder: the lease this process holds there. */
const sharedLeases = new Map<string, SharedLease>();

/**
 * Writes this process's lease file in `holder`, then makes sure no collector is retiring the
 * version (see the race above); undefined when one is, or the version is gone. Synchronous: these
 * are a few metadata operations of tens of microseconds on a local disk, while each round trip
 * through Node's thread pool costs about 0.2 ms, and they are on every execution's path.
 */
function writeLease(holder: string, versionDir: string): SharedLease | undefined {
  const leases = path.join(holder, leasesName);
  const file = path.join(leases, `${host}-${process.pid}-${randomUUID()}`);
  try {
    // Never recursive: a holder removed meanwhile must not be created again.
    try {
      mkdirSync(leases);
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw error;
    }
    writeFileSync(file, JSON.stringify({ host, pid: process.pid, at: new Date().toISOString() }), { flag: 'wx' });
  } catch (error) {
    // The version was collected between reading the record and leasing it.
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  }
  if (existsSync(path.join(holder, retiringName)) || !existsSync(versionDir)) {
    rmSync(file, { force: true });
    return undefined;
  }
  return { file, jobs: 0 };
}

/**
 * Joins the lease this process holds on `holder`, taking one first when it holds none. A lease
 * file on disk from before the collector listed the leases keeps the folder, so a job joining it
 * is as safe as one that wrote it. Undefined when the version is being retired or is gone.
 */
function joinLease(holder: string, versionDir: string): SharedLease | undefined {
  let lease = sharedLeases.get(holder);
  if (!lease) {
    lease = writeLease(holder, versionDir);
    if (!lease) return undefined;
    sharedLeases.set(holder, lease);
  }
  lease.jobs += 1;
  clearTimeout(lease.linger);
  delete lease.linger;
  lingering.delete(lease.file);
  return lease;
}

function leaveLease(paths: DataPaths, ref: string, holder: string, lease: SharedLease): void {
  lease.jobs -= 1;
  if (lease.jobs > 0) return;
  // A version already replaced is let go at once, so the next collection can take it.
  const active = activeVersionTarget(paths, ref);
  if (active === undefined || path.dirname(active) !== holder) return dropLease(holder, lease);
  removeLingeringOnExit();
  lingering.add(lease.file);
  lease.linger = setTimeout(() => dropLease(holder, lease), lingerMs);
  lease.linger.unref();
}

function dropLease(holder: string, lease: SharedLease): void {
  if (lease.jobs > 0 || sharedLeases.get(holder) !== lease) return;
  sharedLeases.delete(holder);
  lingering.delete(lease.file);
  rmSync(lease.file, { force: true });
}

/** Reads the active install record of `ref` and leases its version folder for the caller's job. */
export async function leaseInstalledPack(paths: DataPaths, ref: string): Promise<PackLease> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const installed = await readInstalledPack(paths, ref);
    const holder = versionHolder(paths, installed.dir);
    if (!holder) return { installed, release: async () => {} };
    const lease = joinLease(holder, installed.dir);
    // The version is being retired or is gone: the install record names a newer one by now.
    if (!lease) continue;
    let released = false;
    return {
      installed,
      async release() {
        if (released) return;
        released = true;
        leaveLease(paths, ref, holder, lease);
      },
    };
  }
  throw new PackrunError('PACK_VERSION_GONE', `pack "${ref}" kept changing while a job was starting from it`, {
    hint: 'another install replaced the pack repeatedly; run the job again once installs have finished',
    details: { pack: ref },
  });
}

function leaseIsLive(name: string): boolean {
  const match = /^(.+)-(\d+)-[0-9a-f-]{36}$/.exec(name);
  if (!match) return false;
  // A lease of another host's process cannot be checked from here: it is kept.
  if (match[1] !== host) return true;
  try {
    process.kill(Number(match[2]), 0);
    return true;
  } catch (error) {
    return errno(error) === 'EPERM';
  }
}

/**
 * Removes a version holder no running job has leased; returns false (and leaves it) when one
 * has. Only for versions that are not active, and only one collector per pack at a time (the
 * installer calls it under the pack's install lock).
 */
export async function collectVersion(holder: string): Promise<boolean> {
  const mark = path.join(holder, retiringName);
  try {
    // A mark left by a collector that died is simply taken over: collectors never run concurrently.
    await writeFile(mark, JSON.stringify({ host, pid: process.pid }));
  } catch (error) {
    if (errno(error) === 'ENOENT') return true;
    throw error;
  }
  const liveLeases = async (): Promise<string[]> => (await readdir(path.join(holder, leasesName)).catch(() => [] as string[])).filter(leaseIsLive);
  let live = await liveLeases();
  // A lease may outlive its last job by lingerMs: give those a moment to go.
  for (const deadline = Date.now() + collectorWaitMs; live.length > 0 && Date.now() < deadline; live = await liveLeases()) {
    await delay(50);
  }
  if (live.length > 0) {
    await rm(mark, { force: true });
    return false;
  }
  const trash = path.join(path.dirname(holder), `.trash-${randomUUID()}`);
  await rename(holder, trash);
  await rm(trash, { recursive: true, force: true });
  return true;
}

/** The install record kept in a version folder (readable whether or not the version is active). */
export async function readVersionRecord(versionDir: string): Promise<InstalledPack | undefined> {
  try {
    return JSON.parse(await readFile(path.join(versionDir, installRecordName), 'utf8')) as InstalledPack;
  } catch {
    return undefined;
  }
}
