import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, dataPaths, readVersionRecord, type DataPaths } from '@packrun/core';
import { activeVersionDir, collectInactiveVersions, refsWithVersions } from './activation.ts';
import { collectUnusedEnvs } from './env-store.ts';
import { withPackLocks } from './install-lock.ts';

/**
 * Removes the inactive versions of `ref` that no running job leases, then every env of the pack
 * that neither the active version nor a kept one uses. Only while holding the pack's lock: an
 * install of the same pack may be about to reuse an env.
 */
export async function collectPackGarbage(paths: DataPaths, ref: string): Promise<void> {
  const active = await activeVersionDir(paths, ref);
  const kept = await collectInactiveVersions(paths, ref);
  const hashes = new Set<string>();
  for (const dir of [...(active ? [active] : []), ...kept]) {
    const hash = (await readVersionRecord(dir))?.env.hash;
    if (hash) hashes.add(hash);
  }
  await collectUnusedEnvs(paths, ref, hashes);
  if (!active && kept.length === 0) await rm(path.join(paths.envs, ref), { recursive: true, force: true });
}

/**
 * Collects what jobs kept alive past an install or a removal (old versions and their envs), for
 * every pack, once those jobs have ended. Run at start-up and after each install; a pack whose
 * lock another install holds is left to that install, which collects it itself.
 */
export async function collectRetiredVersions(home: string): Promise<void> {
  const paths = dataPaths(home);
  for (const ref of await refsWithVersions(paths)) {
    try {
      await withPackLocks(paths, [ref], () => collectPackGarbage(paths, ref), { timeoutMs: 0 });
    } catch (error) {
      if (!(error instanceof PackrunError && error.code === 'PACK_LOCKED')) throw error;
    }
  }
}
