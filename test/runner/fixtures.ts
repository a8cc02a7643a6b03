import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataPaths, loadConfig, type DataPaths, type PackrunConfig } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The real interpreter behind the pyenv shim: the shim adds ~135 ms per start. */
export function realPython(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

export interface PackrunHome {
  home: string;
  paths: DataPaths;
  config: PackrunConfig;
  env: Record<string, string>;
}

/** A fresh PACKRUN_HOME with the given built-in packs installed (envs built for real). */
export async function homeWithPacks(packs: string[], extraEnv: Record<string, string> = {}): Promise<PackrunHome> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-runner-'));
  // test/warm-modes.config.ts runs these suites with warm spawning on and off.
  const warm = process.env['PACKRUN_WARM_SPAWN'];
  const env = { PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1', ...(warm ? { PACKRUN_WARM_SPAWN: warm } : {}), ...extraEnv };
  const config = loadConfig(env);
  await installPack(
    // A built-in pack by name, or a test pack by its path from the repository's root.
    packs.map((pack) => (pack.includes('/') ? path.join(repoRoot, pack) : path.join(repoRoot, 'packs', pack))),
    { config },
  );
  return { home, paths: dataPaths(home), config, env };
}

/** Live (not zombie) process with this pid. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
