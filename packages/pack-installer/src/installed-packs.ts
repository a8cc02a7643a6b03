import { readdir } from 'node:fs/promises';
import { dataPaths, isValidPackRef, readInstalledPack, readPackMeta, validatePackRef, type DataPaths, type InstalledPack, type PackMeta } from '@packrun/core';
import { isEnvReady } from './env-store.ts';

/**
 * The record as this installer writes it: core's InstalledPack plus the refs of the packs it
 * depends on, and for the built-in packs the digest of the content installed (pack-digest.ts).
 */
export type InstalledPackRecord = InstalledPack & { dependsOn?: string[]; digest?: string };

export interface InstalledPackState {
  installed: InstalledPackRecord;
  meta: PackMeta;
}

/** Every installed pack with its pack.yaml, keyed by ref. Entries that cannot be read are skipped. */
export async function readInstalledPacks(paths: DataPaths): Promise<Map<string, InstalledPackState>> {
  let names: string[];
  try {
    names = await readdir(paths.packs);
  } catch {
    return new Map();
  }
  const result = new Map<string, InstalledPackState>();
  for (const ref of names.sort()) {
    if (!isValidPackRef(ref)) continue;
    try {
      const installed = await readInstalledPack(paths, ref);
      result.set(ref, { installed, meta: await readPackMeta(installed.dir) });
    } catch {
      // A pack folder without a readable record or pack.yaml was not put there by this installer.
    }
  }
  return result;
}

export type EnvState = 'ready' | 'missing' | 'none';

export interface InstalledPackSummary extends InstalledPackRecord {
  envState: EnvState;
  /** pack.yaml `dependencies`, as written. */
  dependencies: string[];
}

async function summarise(state: InstalledPackState): Promise<InstalledPackSummary> {
  const { installed, meta } = state;
  const envState: EnvState = installed.env.kind === 'none' ? 'none' : installed.env.path && (await isEnvReady(installed.env.path)) ? 'ready' : 'missing';
  return { ...installed, envState, dependencies: meta.dependencies };
}

/** What `packrun pack list` shows: every installed pack with its env state. */
export async function listInstalledPacks(config: { home: string }): Promise<InstalledPackSummary[]> {
  const installed = await readInstalledPacks(dataPaths(config.home));
  return Promise.all([...installed.values()].map(summarise));
}

/** One installed pack; PACK_NOT_INSTALLED when it is not. */
export async function packInfo(ref: string, config: { home: string }): Promise<InstalledPackSummary> {
  const paths = dataPaths(config.home);
  const installed = await readInstalledPack(paths, validatePackRef(ref));
  return summarise({ installed, meta: await readPackMeta(installed.dir) });
}
