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
