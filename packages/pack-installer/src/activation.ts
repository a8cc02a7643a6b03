import { randomUUID } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { collectVersion, installRecordName, shareReadOnly, versionHolder, type DataPaths } from '@packrun/core';
import type { InstalledPackRecord } from './installed-packs.ts';

/**
 * Installed content lives in packs/.versions/<id>/<ref> (the last segment stays the ref, because
 * a pack without `ref` in pack.yaml takes its ref from its folder name). packs/<ref> is a symlink
 * to the active version, replaced atomically with rename(2) of a fresh symlink.
 */
function versionsDir(paths: DataPaths): string {
  return path.join(paths.packs, '.versions');
}

function activeLink(paths: DataPaths, ref: string): string {
  return path.join(paths.packs, ref);
}

/** Absolute path of the active version's folder, or undefined when the pack is not installed. */
export async function activeVersionDir(paths: DataPaths, ref: string): Promise<string | undefined> {
  try {
    const target = await readlink(activeLink(paths, ref));
    return path.resolve(paths.packs, target);
  } catch {
    return undefined;
  }
}

/**
 * Moves staged pack content into a new version folder (a rename: staging is on the same
 * filesystem) and writes its install record there. Nothing is visible to runners yet.
 */
export async function placeVersion(paths: DataPaths, stagedDir: string, record: Omit<InstalledPackRecord, 'dir'>): Promise<InstalledPackRecord> {
  const holder = path.join(versionsDir(paths), randomUUID());
  const dir = path.join(holder, record.ref);
  await mkdir(holder, { recursive: true });
  try {
    await rename(stagedDir, dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(stagedDir, dir, { recursive: true, verbatimSymlinks: true });
  }
  // Job uids read the pack (and only read it) whatever modes its source came with.
  await shareReadOnly(dir);
  await makeReadable(dir);
  const installed: InstalledPackRecord = { ...record, dir };
  // Node resolves bare imports (ESM included) by walking up to node_modules, so the pack gets one.
  if (installed.env.nodeModules) await symlink(installed.env.nodeModules, path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, installRecordName), `${JSON.stringify(installed, null, 2)}\n`);
  return installed;
}

/**
 * Jobs run under their own uids, so pack content must be readable by all, whatever modes the
 * folder, clone or archive came with; executable bits follow the owner's.
 */
async function makeReadable(target: string): Promise<void> {
  const info = await lstat(target);
  if (info.isSymbolicLink()) return;
  // setuid/setgid bits never survive into installed content.
  const mode = info.mode & 0o1777;
  if (!info.isDirectory()) {
    await chmod(target, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    return;
  }
  await chmod(target, mode | 0o555);
  for (const name of await readdir(target)) await makeReadable(path.join(target, name));
}

/** Makes `versionDir` the active version of `ref`; returns the previously active folder. */
export async function switchActive(paths: DataPaths, ref: string, versionDir: string): Promise<string | undefined> {
  const previous = (await activeVersionDir(paths, ref)) ?? (await adoptPlainFolder(paths, ref));
  const temporary = path.join(paths.packs, `.${ref}.switch-${randomUUID()}`);
  await symlink(path.relative(paths.packs, versionDir), temporary);
  try {
    await rename(temporary, activeLink(paths, ref));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return previous;
}

/**
 * A pack folder copied into packs/<ref> by hand (not a link) is moved into a version folder of
 * its own, so that it can be replaced like any installed version and restored on a rollback.
 */
async function adoptPlainFolder(paths: DataPaths, ref: string): Promise<string | undefined> {
  const link = activeLink(paths, ref);
  try {
    if (!(await lstat(link)).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const holder = path.join(versionsDir(paths), randomUUID());
  await mkdir(holder, { recursive: true });
  const adopted = path.join(holder, ref);
  await rename(link, adopted);
  await symlink(path.relative(paths.packs, adopted), link);
  return adopted;
}

/**
 * Removes a version folder (with its holder) that is no longer active, unless a running job
 * leased it (see core's version-lease.ts): then it stays until a later collection.
 */
export async function retireVersion(paths: DataPaths, versionDir: string): Promise<boolean> {
  const holder = versionHolder(paths, versionDir);
  return holder ? collectVersion(holder) : true;
}

/** Makes the pack uninstalled: the link goes first (atomic), then the content. */
export async function deactivate(paths: DataPaths, ref: string): Promise<string | undefined> {
  const previous = await activeVersionDir(paths, ref);
  await rm(activeLink(paths, ref), { force: true });
  return previous;
}

/**
 * Removes every inactive version folder of `ref` no running job leases: versions replaced while
 * a job still ran from them, and those an install killed midway placed but never made active;
 * and temporary switch links. Returns the version folders kept for their jobs. Only called while
 * holding the pack's lock.
 */
export async function collectInactiveVersions(paths: DataPaths, ref: string): Promise<string[]> {
  const active = await activeVersionDir(paths, ref);
  const kept: string[] = [];
  let holders: string[] = [];
  try {
    holders = await readdir(versionsDir(paths));
  } catch {
    // no versions yet
  }
  for (const holder of holders) {
    const dir = path.join(versionsDir(paths), holder, ref);
    if (dir === active) continue;
    try {
      await readdir(dir);
    } catch {
      continue;
    }
    if (!(await collectVersion(path.join(versionsDir(paths), holder)))) kept.push(dir);
  }
  const links = await readdir(paths.packs).catch(() => [] as string[]);
  for (const name of links) {
    if (name.startsWith(`.${ref}.switch-`)) await rm(path.join(paths.packs, name), { force: true });
  }
  return kept;
}

/** Refs that have version folders under packs/.versions, active or not. */
export async function refsWithVersions(paths: DataPaths): Promise<string[]> {
  const refs = new Set<string>();
  for (const holder of await readdir(versionsDir(paths)).catch(() => [] as string[])) {
    for (const name of await readdir(path.join(versionsDir(paths), holder)).catch(() => [] as string[])) {
      if (!name.startsWith('.')) refs.add(name);
    }
  }
  return [...refs];
}
