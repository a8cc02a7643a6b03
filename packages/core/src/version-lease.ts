import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PackrunError } from './errors.ts';
import { installRecordName, readInstalledPack, type InstalledPack } from './installed-pack.ts';
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

/** `.versions/<id>` holding the version folder, or undefined for a folder that is not a managed version. */
export function versionHolder(paths: DataPaths, versionDir: string): string | undefined {
  const holder = path.dirname(versionDir);
  return path.dirname(holder) === path.join(paths.packs, '.versions') ? holder : undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Reads the active install record of `ref` and leases its version folder for the caller's job. */
export async function leaseInstalledPack(paths: DataPaths, ref: string): Promise<PackLease> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const installed = await readInstalledPack(paths, ref);
    const holder = versionHolder(paths, installed.dir);
    if (!holder) return { installed, release: async () => {} };
    const leases = path.join(holder, leasesName);
    const lease = path.join(leases, `${host}-${process.pid}-${randomUUID()}`);
    try {
      // Never recursive: a holder removed meanwhile must not be created again.
      await mkdir(leases).catch((error: unknown) => {
        if (errno(error) !== 'EEXIST') throw error;
      });
      await writeFile(lease, JSON.stringify({ host, pid: process.pid, at: new Date().toISOString() }), { flag: 'wx' });
    } catch (error) {
      // The version was collected between reading the record and leasing it: read again.
      if (errno(error) === 'ENOENT') continue;
      throw error;
    }
    if ((await exists(path.join(holder, retiringName))) || !(await exists(installed.dir))) {
      await rm(lease, { force: true });
      continue;
    }
    let released = false;
    return {
      installed,
      async release() {
        if (released) return;
        released = true;
        await rm(lease, { force: true });
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
  const leases = await readdir(path.join(holder, leasesName)).catch(() => [] as string[]);
  const live = leases.filter(leaseIsLive);
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
