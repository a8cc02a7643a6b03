import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { collectionNames, collectionSpecs } from './collections.ts';
import { maxRecordDepth, toStoredDocument } from './document-codec.ts';
import { TooDeepError } from './json-value.ts';
import { insertSql, rowValues, tableName } from './sqlite-schema.ts';
import type { CollectionName } from './types.ts';

/**
 * Reads the store of earlier Packrun versions: one NeDB file per collection (`executions.db`...)
 * in the store folder, each line a JSON document, appended on every change, so a record's last
 * line wins and a `{"$$deleted": true}` line removes it; `$$indexCreated` lines describe indexes.
 *
 * The file is split at "\n" only, the one line end NeDB writes. NeDB itself split its lines also
 * at U+2028, U+2029 and U+0085, which JSON leaves raw inside strings: it lost the record and
 * counted the halves as corrupt. Read whole here, those records come back. What still cannot be
 * read (a line cut by a crash, garbage, a record nested deeper than the store keeps) is counted
 * and located by line in the report, never silently dropped.
 */
interface NedbSource {
  collection: CollectionName;
  file: string;
}

export interface NedbFileReport {
  collection: CollectionName;
  file: string;
  lines: number;
  records: number;
  /** Lines that are not a JSON document, or a record that could not be stored: count and where. */
  unreadable: number;
  unreadableLines: Array<{ line: number; problem: string }>;
}

/** How many unreadable lines a report lists one by one (all are counted). */
const listedPerFile = 100;

/** NeDB's data files in `dir`. NeDB wrote `<name>.db~` then renamed it: a lone `~` file is the data. */
export function findNedbFiles(dir: string): NedbSource[] {
  const sources: NedbSource[] = [];
  for (const collection of collectionNames) {
    const file = path.join(dir, `${collectionSpecs[collection].storedName}.db`);
    if (existsSync(file)) sources.push({ collection, file });
    else if (existsSync(`${file}~`)) sources.push({ collection, file: `${file}~` });
  }
  return sources;
}

/** Every line of a file, without reading it whole: a data file may be larger than a string can be. */
function* fileLines(file: string): Generator<string> {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let pending: Buffer[] = [];
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      let start = 0;
      for (let end = chunk.indexOf(10, start); end !== -1 && end < read; end = chunk.indexOf(10, start)) {
        if (pending.length === 0) yield chunk.toString('utf8', start, end);
        else {
          pending.push(chunk.subarray(start, end));
          yield Buffer.concat(pending).toString('utf8');
          pending = [];
        }
        start = end + 1;
      }
      if (start < read) pending.push(Buffer.from(chunk.subarray(start, read)));
    }
    if (pending.length > 0) yield Buffer.concat(pending).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** NeDB's form of a Date; our records hold ISO strings, which is what one becomes. */
function withoutNedbDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNedbDates);
  if (value !== null && typeof value === 'object') {
    const date = (value as { $$date?: unknown }).$$date;
    if (typeof date === 'number') return new Date(date).toISOString();
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutNedbDates(item)]));
  }
  return value;
}

/**
 * Imports every source into `db` (tables already created) inside the caller's transaction.
 * `progress` gets a line per file and every 50,000 lines.
 */
export function importNedbFiles(db: Database.Database, sources: NedbSource[], progress: (line: string) => void): NedbFileReport[] {
  const reports: NedbFileReport[] = [];
  for (const source of sources) {
    const table = tableName(source.collection);
    const upsert = db.prepare(insertSql(source.collection, true));
    const remove = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
    const report: NedbFileReport = { collection: source.collection, file: source.file, lines: 0, records: 0, unreadable: 0, unreadableLines: [] };
    const fail = (line: number, problem: string): void => {
      report.unreadable += 1;
      if (report.unreadableLines.length < listedPerFile) report.unreadableLines.push({ line, problem });
    };
    progress(`importing ${source.file}`);
    for (const text of fileLines(source.file)) {
      report.lines += 1;
      if (report.lines % 50_000 === 0) progress(`  ${path.basename(source.file)}: ${report.lines} lines read`);
      if (text.trim() === '') continue;
      let doc: Record<string, unknown>;
      try {
        const parsed = JSON.parse(text) as unknown;
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
        doc = parsed as Record<string, unknown>;
      } catch (error) {
        fail(report.lines, `not a JSON document (${(error as Error).message})`);
        continue;
      }
      const { _id: id, ...rest } = doc;
      if (id === undefined) {
        if (!('$$indexCreated' in rest || '$$indexRemoved' in rest)) fail(report.lines, 'a document without _id');
        continue;
      }
      if (rest['$$deleted'] === true) {
        remove.run(String(id));
        continue;
      }
      try {
        const plain = toStoredDocument(text.includes('"$$date"') ? (withoutNedbDates(rest) as Record<string, unknown>) : rest);
        upsert.run(...rowValues(source.collection, String(id), plain, JSON.stringify(plain)));
      } catch (error) {
        if (error instanceof TooDeepError) fail(report.lines, `record "${String(id)}" is nested more than ${maxRecordDepth} levels deep`);
        else if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') fail(report.lines, `record "${String(id)}" repeats a value that must be unique`);
        else if ((error as { code?: string }).code === 'STORE_BAD_RECORD') fail(report.lines, (error as Error).message);
        else throw error;
      }
    }
    report.records = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    progress(`  ${path.basename(source.file)}: ${report.records} records from ${report.lines} lines${report.unreadable > 0 ? `, ${report.unreadable} unreadable` : ''}`);
    reports.push(report);
  }
  return reports;
}

/**
 * Moves the imported files into `folder` (kept, never deleted) with the report beside them. A file
 * whose name is taken there already stays where it is; those are returned.
 */
export function keepImportedFiles(sources: NedbSource[], folder: string, reports: NedbFileReport[]): string[] {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const left: string[] = [];
  for (const source of sources) {
    const target = path.join(folder, path.basename(source.file));
    if (existsSync(target)) left.push(source.file);
    else renameSync(source.file, target);
  }
  const report = path.join(folder, 'import-report.json');
  if (!existsSync(report)) {
    const moved = reports.map((entry) => ({ ...entry, file: path.join(folder, path.basename(entry.file)) }));
    writeFileSync(report, `${JSON.stringify(moved, null, 2)}\n`, { mode: 0o600 });
  }
  return left;
}
