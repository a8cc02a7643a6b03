import { readFile, stat } from 'node:fs/promises';
import { PackrunError, describeActionCounts, type ActionSummary } from '@packrun/core';
import { CliExit, exitCodes } from '../exit.ts';
import type { ApiClient } from './api-client.ts';
import { waitForExecution } from './wait-for-execution.ts';

/**
 * `packrun pack install` while a server runs: the install is a `packs.install` execution on the
 * server (which registers the packs in its store), its progress lines streamed here as they come.
 * Folders and archives are the caller's: resolved against the caller's working folder, and sent
 * to a server that cannot see them (sourcesForServer) rather than named by a path.
 */
export async function installThroughApi(client: ApiClient, sources: string[], options: { force: boolean; json: boolean; serverSeesFiles: boolean }): Promise<void> {
  const { sent, shownAs } = await sourcesForServer(client, sources, options.serverSeesFiles);
  const { data: created } = await client.request<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: sent, force: options.force });
  process.stderr.write(`installing on the server at ${client.url} (execution ${created.execution_id})\n`);
  let output = '';
  const done = await waitForExecution(client, created.execution_id, {
    onOutput: (chunk) => {
      const text = shownAs(chunk.data);
      output += text;
      process.stderr.write(text);
    },
  });
  const result = (done.result ?? {}) as {
    installed?: Array<{ ref: string; version: string }>;
    kept?: Array<{ ref: string; version: string }>;
    actions?: Record<string, ActionSummary>;
  };
  if (options.json) process.stdout.write(`${JSON.stringify({ execution: done.id, status: done.status, ...result }, null, 2)}\n`);
  else {
    for (const pack of result.installed ?? []) {
      const actions = result.actions?.[pack.ref];
      process.stdout.write(`installed ${pack.ref} ${pack.version}${actions ? `: ${describeActionCounts(actions)}` : ''}\n`);
    }
    for (const pack of result.kept ?? []) process.stdout.write(`kept ${pack.ref} ${pack.version} (already installed, fits)\n`);
  }
  if (done.status !== 'succeeded') {
    // The server's output ends with the error (and its hint): said once, not again here.
    const said = done.error !== undefined && output.includes(`error [${done.error.type}]`);
    process.stderr.write(`install ${done.status}${done.error && !said ? `: [${done.error.type}] ${shownAs(done.error.message)}` : ` (execution ${done.id})`}\n`);
    throw new CliExit(exitCodes.failed);
  }
}

/**
 * The sources as the server is to get them, and how to put the server's words back in the
 * user's: a folder or archive the user named relative to where they stand becomes an absolute
 * path for a server on this machine (one that serves this PACKRUN_HOME), and an upload
 * (`upload:<id>`) for any other; either is shown again as the user wrote it.
 */
async function sourcesForServer(client: ApiClient, sources: string[], serverSeesFiles: boolean): Promise<{ sent: string[]; shownAs: (text: string) => string }> {
  const { parseSource } = await import('@packrun/pack-installer');
  const names = new Map<string, string>();
  const sent: string[] = [];
  for (const given of sources) {
    const spec = parseSource(given);
    if (spec.kind !== 'folder' && spec.kind !== 'archive-file') {
      sent.push(given);
      continue;
    }
    if (serverSeesFiles) {
      sent.push(spec.path);
      if (spec.path !== given) names.set(spec.path, given);
      continue;
    }
    const upload = await uploadSource(client, spec, given);
    sent.push(upload);
  }
  const shownAs = (text: string) => {
    let shown = text;
    for (const [sentPath, given] of names) shown = shown.split(sentPath).join(given);
    return shown;
  };
  return { sent, shownAs };
}

/** Sends a folder (as a .tar.gz made here) or an archive file to the server; answers its `upload:<id>`. */
async function uploadSource(client: ApiClient, spec: { kind: 'folder' | 'archive-file'; path: string }, given: string): Promise<string> {
  const info = await stat(spec.path).catch(() => undefined);
  if (!info) {
    throw new PackrunError('PACK_SOURCE_NOT_FOUND', `${spec.kind === 'folder' ? 'pack folder' : 'pack archive'} ${given} does not exist`, {
      hint: 'give a pack folder, a git URL, a .tar.gz file or URL, or a name from the pack index',
      details: { source: given },
    });
  }
  const body = info.isDirectory() ? await (await import('@packrun/pack-installer')).archivePackFolder(spec.path) : await readFile(spec.path);
  process.stderr.write(`uploading ${given} to ${client.url} (${body.length} bytes)\n`);
  const { data } = await client.upload<{ source: string }>(`/api/v1/packs/upload?name=${encodeURIComponent(given)}`, body, 'application/gzip');
  return data.source;
}

/** `packrun pack remove` while a server runs: a `packs.uninstall` execution, so the store forgets the pack too. */
export async function removeThroughApi(client: ApiClient, ref: string, force: boolean): Promise<void> {
  const { data: created } = await client.request<{ execution_id: string }>('POST', '/api/v1/packs/uninstall', { packs: [ref], force });
  const done = await waitForExecution(client, created.execution_id);
  if (done.status !== 'succeeded') {
    process.stderr.write(`remove ${done.status}${done.error ? `: [${done.error.type}] ${done.error.message}` : ''}\n`);
    throw new CliExit(exitCodes.failed);
  }
}
