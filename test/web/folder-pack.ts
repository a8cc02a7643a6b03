import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { retryUntil } from '../helpers/retry-until.ts';
import type { BrowserStack } from './browser-stack.ts';

/**
 * Writes a pack (its files by path relative to the pack folder) into a folder of its own and
 * installs it into the stack's `packrun up` through the API (`POST /api/v1/packs/install`, as
 * `st2 pack install <folder>`), waiting for the install's execution to succeed. Answers the folder.
 */
export async function installFolderPack(stack: BrowserStack, ref: string, files: Record<string, string>): Promise<string> {
  const folder = path.join(await mkdtemp(path.join(os.tmpdir(), `packrun-${ref}-`)), ref);
  const all = { 'pack.yaml': `ref: ${ref}\nname: ${ref}\nversion: 1.0.0\ndescription: a pack of the web tests\nauthor: tests\nemail: tests@example.com\n`, ...files };
  for (const [name, content] of Object.entries(all)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), content);
  }
  const started = await stack.api<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [folder] });
  if (started.status !== 202 && started.status !== 200) throw new Error(`the install of ${ref} was refused: ${JSON.stringify(started.body)}`);
  let status = '';
  await retryUntil(
    async () => {
      status = (await stack.api<{ status: string }>('GET', `/api/v1/executions/${started.body.execution_id}`)).body.status;
      return ['succeeded', 'failed', 'timeout', 'canceled', 'abandoned'].includes(status);
    },
    { withinMs: 180_000, everyMs: 250, what: `the install of ${ref}` },
  );
  if (status !== 'succeeded') throw new Error(`the install of ${ref} ended ${status}`);
  return folder;
}
