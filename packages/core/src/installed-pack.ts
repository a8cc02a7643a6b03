import { readlinkSync } from 'node:fs';
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
  /** The interpreter a Python env was built from, and who chose it (absent in records older than the choice). */
  interpreter?: PackPythonChoice;
}

/**
 * How a pack's interpreter was chosen: `operator` (PACKRUN_PACK_PYTHON), `default` (PACKRUN_PYTHON,
 * which fits the pack's python_versions), `python_versions` (another interpreter found on the
 * host, because PACKRUN_PYTHON does not fit).
 */
export interface PackPythonChoice {
  /** Real path of the base interpreter the venv was made from. */
  executable: string;
  version: string;
  implementation: string;
  chosenBy: 'operator' | 'default' | 'python_versions';
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

/** Parsed install records of managed version folders, most recently used last. */
const recordLimit = 256;
const records = new Map<string, InstalledPack>();

/** `.versions/<id>` holding the version folder, or undefined for a folder that is not a managed version. */
export function versionHolder(paths: DataPaths, versionDir: string): string | undefined {
  const holder = path.dirname(versionDir);
  return path.dirname(holder) === path.join(paths.packs, '.versions') ? holder : undefined;
}

/**
 * Where the `packs/<ref>` link points, resolved; undefined when it is not a link (a plain folder,
 * or nothing). Synchronous: tens of microseconds, against about 0.2 ms through Node's thread pool.
 */
export function activeVersionTarget(paths: DataPaths, ref: string): string | undefined {
  try {
    return path.resolve(paths.packs, readlinkSync(path.join(paths.packs, ref)));
  } catch {
    return undefined;
  }
}

function notInstalled(ref: string): PackrunError {
  return new PackrunError('PACK_NOT_INSTALLED', `pack "${ref}" is not installed`, {
    hint: 'install it with `packrun pack install <folder>`; `packrun pack list` shows what is installed',
    details: { pack: ref },
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The active install record of `ref`. Every execution asks for it, so it costs one readlink while
 * the active version is unchanged: the record of a managed version folder is read once and kept
 * (frozen: it is shared). A plain folder (copied in by hand) is read every time.
 */
export async function readInstalledPack(paths: DataPaths, ref: string): Promise<InstalledPack> {
  const link = path.join(paths.packs, ref);
  // A version folder (`packs/.versions/<id>/<ref>`) is written once and never changes (a
  // reinstall writes a new one and switches the link), so its record can be kept.
  const target = activeVersionTarget(paths, ref);
  const managed = target !== undefined && versionHolder(paths, target) !== undefined;
  if (managed) {
    const cached = records.get(target);
    if (cached) {
      records.delete(target);
      records.set(target, cached);
      return cached;
    }
  }
  let text: string;
  try {
    // Through the resolved target, so the record cached under it is that version's even if an
    // install switches the link meanwhile.
    text = await readFile(path.join(target ?? link, installRecordName), 'utf8');
  } catch {
    if (target === undefined) throw notInstalled(ref);
    // The version was replaced and collected between the readlink and the read: look again.
    try {
      text = await readFile(path.join(link, installRecordName), 'utf8');
    } catch {
      throw notInstalled(ref);
    }
    return JSON.parse(text) as InstalledPack;
  }
  const record = JSON.parse(text) as InstalledPack;
  if (managed && record.dir === target) {
    records.set(target, deepFreeze(record));
    while (records.size > recordLimit) records.delete(records.keys().next().value!);
  }
  return record;
}
