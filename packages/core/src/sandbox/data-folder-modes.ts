import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { dataPaths } from '../paths.ts';

/**
 * File modes that keep the data folder's secrets from job uids even without bubblewrap: jobs may
 * pass through the data folder to reach their pack, env and job folder, but never list it, and the
 * folders holding configs, secrets, the store and logs are the runtime's alone. Under bubblewrap
 * none of this is even visible; the modes are the second wall.
 */
export async function protectDataFolder(home: string): Promise<void> {
  const paths = dataPaths(home);
  const modes: Array<[string, number]> = [
    [paths.home, 0o711],
    [paths.jobs, 0o711],
    [paths.packs, 0o755],
    [paths.envs, 0o755],
    [paths.configs, 0o700],
    [paths.store, 0o700],
    [paths.logs, 0o700],
    // Env builds run as the build uid: it passes through these to its build folder and tool cache.
    [paths.staging, 0o711],
    [paths.cache, 0o711],
    [path.join(paths.home, 'secrets'), 0o700],
  ];
  for (const [dir, mode] of modes) {
    await chmod(dir, mode).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
