import { mkdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';

/**
 * Runs a job in its folder (`jobs/<execution>`: HOME, TMPDIR and working folder), made for it and
 * removed after it. Through the thread pool: on a busy machine these directory operations can
 * block for a millisecond on the filesystem's journal, which must not stall the event loop.
 */
export async function inJobFolder<T>(folder: string, run: () => Promise<T>): Promise<T> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  try {
    return await run();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const madeJobsDirs = new Set<string>();

/** jobs/ itself, made once per process (a fresh data folder has none yet). */
export function ensureJobsFolder(jobsDir: string): void {
  if (madeJobsDirs.has(jobsDir)) return;
  mkdirSync(jobsDir, { recursive: true, mode: 0o711 });
  madeJobsDirs.add(jobsDir);
}

const removals = new Set<Promise<void>>();

/**
 * Removes a child's job folder through the thread pool without holding up the execution's result:
 * it is gone already unless the action left something in it. `removalsSettled` waits for these.
 */
export function removeInBackground(folder: string): Promise<void> {
  const removal = rm(folder, { recursive: true, force: true }).then(
    () => undefined,
    () => undefined,
  );
  removals.add(removal);
  void removal.finally(() => removals.delete(removal));
  return removal;
}

/** Every job folder removal started so far has ended. */
export async function removalsSettled(): Promise<void> {
  await Promise.all([...removals]);
}
