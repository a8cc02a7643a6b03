import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataPaths } from './paths.ts';
import { PackrunError } from './errors.ts';

/**
 * The install record the pack installer writes at `<PACKRUN_HOME>/packs/<ref>/.packrun-install.json`
 * when it activates a pack, and that runners read to find the pack's own interpreter.
 */
export interface PackEnvironment {
  kind: 'python' | 'node' | 'none';
  /** Absolute path of the env folder (envs/<ref>/<hash>), absent for kind 'none'. */
  path?: string;
  /** Absolute path of the env's Python interpreter (kind 'python'). */
  python?: string;
  /** Absolute path of the node_modules folder (kind 'node'). */
  nodeModules?: string;
  /** Hash of the dependency files and interpreter the env was built from. */
  hash?: string;
}

export interface InstalledPack {
  ref: string;
  version: string;
  /** Absolute path of the active pack content. */
  dir: string;
  /** Where it came from, as the user gave it (folder, git URL, archive, index name). */
  source: string;
  env: PackEnvironment;
  installedAt: string;
}

export const installRecordName = '.packrun-install.json';

export async function readInstalledPack(paths: DataPaths, ref: string): Promise<InstalledPack> {
  const file = path.join(paths.packs, ref, installRecordName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new PackrunError('PACK_NOT_INSTALLED', `pack "${ref}" is not installed`, {
      hint: 'install it with `packrun pack install <folder>`; `packrun pack list` shows what is installed',
      details: { pack: ref },
    });
  }
  return JSON.parse(text) as InstalledPack;
}
