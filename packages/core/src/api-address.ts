import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataPaths } from './paths.ts';
import { currentProcessIdentity, whyProcessIsGone, type ProcessIdentity } from './process/process-identity.ts';

/**
 * Where the API serving a PACKRUN_HOME listens, recorded by that API in PACKRUN_HOME/run/api.json
 * so the CLI and the separate services find it from the data folder alone: a server started with
 * only PACKRUN_API_PORT set is found without the CLI being told the port. The file names the
 * process too: one left behind by a server that was killed is recognised and ignored.
 */
export interface ApiAddressRecord extends ProcessIdentity {
  url: string;
  startedAt: string;
}

export type RecordedApi =
  | { state: 'live'; file: string; record: ApiAddressRecord }
  | { state: 'stale'; file: string; record: ApiAddressRecord; reason: string }
  /** Written or writable by someone else than this user: the CLI would send its key wherever it says. */
  | { state: 'untrusted'; file: string; reason: string }
  | { state: 'none'; file: string };

/**
 * Why `target` may have been written by someone other than this user (or root), or undefined:
 * the CLI sends its API key to the address in the file, so only its own user may set it.
 */
function foreignWriter(target: string): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const stat = statSync(target);
  if (stat.uid !== uid && stat.uid !== 0) return `${target} belongs to uid ${stat.uid}, not to this user (uid ${uid})`;
  if ((stat.mode & 0o022) !== 0 && !(stat.isDirectory() && (stat.mode & 0o1000) !== 0)) {
    return `${target} is writable by other users (mode ${(stat.mode & 0o7777).toString(8)})`;
  }
  return undefined;
}

export function apiAddressFile(home: string): string {
  return path.join(dataPaths(home).run, 'api.json');
}

function parseRecord(text: string): ApiAddressRecord | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<ApiAddressRecord>;
    const valid = typeof parsed.url === 'string' && typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.startedAt === 'string';
    return valid ? (parsed as ApiAddressRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The API recorded in `home`, and whether the process that recorded it still runs. */
export function readRecordedApi(home: string): RecordedApi {
  const file = apiAddressFile(home);
  let untrusted: string | undefined;
  let text: string;
  try {
    // The folder first: while only this user can write in it, the file cannot be swapped after it is checked.
    untrusted = foreignWriter(path.dirname(file)) ?? foreignWriter(file);
    text = readFileSync(file, 'utf8');
  } catch {
    return { state: 'none', file };
  }
  if (untrusted !== undefined) return { state: 'untrusted', file, reason: untrusted };
  const record = parseRecord(text);
  // Unreadable: not something a server wrote whole (it renames a complete file into place).
  if (!record) return { state: 'none', file };
  const reason = whyProcessIsGone(record);
  return reason === undefined ? { state: 'live', file, record } : { state: 'stale', file, record, reason };
}

/**
 * Records that this process serves `home`'s API at `url`: written under a name of our own and
 * renamed into place, so a reader sees the old file or the new one, never half of one. The
 * returned function removes it, if it is still ours, on a clean exit.
 */
export function recordApiAddress(home: string, url: string): () => void {
  const file = apiAddressFile(home);
  const record: ApiAddressRecord = { url, ...currentProcessIdentity(), startedAt: new Date().toISOString() };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const draft = `${file}.${process.pid}.new`;
  writeFileSync(draft, `${JSON.stringify(record)}\n`, { mode: 0o644 });
  renameSync(draft, file);
  return () => {
    const current = parseRecord(readFileSafely(file));
    if (current?.pid !== record.pid || current.startedAt !== record.startedAt) return;
    try {
      unlinkSync(file);
    } catch {
      // Gone already: nothing to remove.
    }
  };
}

function readFileSafely(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
