import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Gives installed pack content the modes the sandbox needs: readable (and folders enterable) by
 * the job uids, writable by no one but root, no setuid or setgid bit. Packs arrive from folders,
 * git and archives with whatever modes their authors had (a 0700 temp folder, a 0777 file); the
 * job then either could not read its own code or could change it for the next job.
 */
export async function shareReadOnly(dir: string): Promise<void> {
  const stat = await lstat(dir);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    await chmod(dir, 0o755);
    for (const entry of await readdir(dir)) await shareReadOnly(path.join(dir, entry));
    return;
  }
  const executable = (stat.mode & 0o111) !== 0;
  await chmod(dir, executable ? 0o755 : 0o644);
}
