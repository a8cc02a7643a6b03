import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pidExists, type DataPaths } from '@packrun/core';


/**
 * Each install stages in its own folder named after its host and pid; folders of installs whose
 * process died on this host (killed mid-download or mid-build) are removed when the next starts.
 */
export async function createStagingDir(paths: DataPaths): Promise<string> {
  await mkdir(paths.staging, { recursive: true });
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
  for (const name of await readdir(paths.staging)) {
    const match = /^(.+)-(\d+)-[0-9a-f-]{36}$/.exec(name);
    if (match?.[1] === host && !pidExists(Number(match[2]))) await rm(path.join(paths.staging, name), { recursive: true, force: true });
  }
  const dir = path.join(paths.staging, `${host}-${process.pid}-${randomUUID()}`);
  await mkdir(dir);
  return dir;
}
