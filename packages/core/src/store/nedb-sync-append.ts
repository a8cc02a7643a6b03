import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** What of NeDB's (private) persistence this replaces and uses. */
interface NedbPersistence {
  filename: string;
  inMemoryOnly: boolean;
  modes: { fileMode: number };
  afterSerialization: (line: string) => Promise<string>;
  persistNewStateAsync: (docs: Array<Record<string, unknown>>) => Promise<void>;
}

// The package has no exports map: its serializer is reachable by path (the one it uses itself).
const model = createRequire(import.meta.url)('@seald-io/nedb/lib/model.js') as { serialize: (doc: Record<string, unknown>) => string };

/**
 * NeDB persists every change by appending its lines with fs.promises.appendFile (open, write and
 * close: three round trips through Node's thread pool, about 0.6 ms here), and it runs a
 * collection's operations one after another, so each store operation also waited for the appends
 * of all those before it. The same lines are appended synchronously instead, in tens of
 * microseconds. The file format, loading and compaction stay NeDB's own; this replaces the one
 * private method that appends, whose contract is unchanged: it resolves once the lines are written.
 */
export function appendSynchronously(db: object): void {
  const persistence = (db as { persistence: NedbPersistence }).persistence;
  if (persistence.inMemoryOnly) return;
  persistence.persistNewStateAsync = async (docs) => {
    let lines = '';
    for (const doc of docs) lines += `${await persistence.afterSerialization(model.serialize(doc))}\n`;
    if (lines.length > 0) appendFileSync(persistence.filename, lines, { encoding: 'utf8', mode: persistence.modes.fileMode });
  };
}
