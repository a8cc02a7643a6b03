import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureJobsFolder } from './job-folder.ts';

const staleSwept = new Map<string, Promise<void>>();

/** Folders of zygotes whose runtime died without removing them: their name carries its pid. */
async function removeStaleZygoteFolders(jobsDir: string): Promise<void> {
  for (const name of await readdir(jobsDir).catch(() => [])) {
    const pid = Number(/^\.zygote-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') await rm(path.join(jobsDir, name), { recursive: true, force: true });
    }
  }
}

/**
 * A folder of one zygote's own in `jobsDir` (`.zygote-<runtime pid>-<random>`, 0700), for the
 * socket its children connect their streams to. Removed with `rm` once the zygote is gone.
 */
export async function makeZygoteFolder(jobsDir: string): Promise<string> {
  ensureJobsFolder(jobsDir);
  let swept = staleSwept.get(jobsDir);
  if (!swept) staleSwept.set(jobsDir, (swept = removeStaleZygoteFolders(jobsDir)));
  await swept;
  const folder = path.join(jobsDir, `.zygote-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(folder, { mode: 0o700 });
  return folder;
}
