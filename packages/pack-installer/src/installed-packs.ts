import { readdir } from 'node:fs/promises';
import { isValidPackRef, readInstalledPack, readPackMeta, type DataPaths, type InstalledPack, type PackMeta } from '@packrun/core';
import { isEnvReady } from './env-store.ts';

/** The record as this installer writes it: core's InstalledPack plus the refs of the packs it depends on. */
export type InstalledPackRecord = InstalledPack & { dependsOn?: string[] };

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

export async function summarise(state: InstalledPackState): Promise<InstalledPackSummary> {
  const { installed, meta } = state;
  const envState: EnvState = installed.env.kind === 'none' ? 'none' : installed.env.path && (await isEnvReady(installed.env.path)) ? 'ready' : 'missing';
  return { ...installed, envState, dependencies: meta.dependencies };
}
