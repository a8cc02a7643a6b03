import type Database from 'better-sqlite3';
import { collectionNames, collectionSpecs } from './collections.ts';
import { indexedValue } from './sqlite-query.ts';
import type { CollectionName } from './types.ts';

/**
 * The embedded store's tables: one per collection, `(id, doc)` with the record's JSON (without its
 * id) in `doc`, and an expression index per index of collections.ts. Written by version 1 of this
 * schema (PRAGMA user_version); a store written by a later version is refused rather than misread.
 */
export const schemaVersion = 1;

/** The escaped dotted paths of a collection's indexed fields: the ones compared as plain values. */
export function indexedFields(name: CollectionName): Set<string> {
  const fields = new Set<string>();
  for (const index of collectionSpecs[name].indexes) {
    for (const key of Object.keys(index.keys)) if (key !== 'id') fields.add(key);
  }
  return fields;
}

export function tableName(name: CollectionName): string {
  return collectionSpecs[name].storedName;
}

function indexStatements(name: CollectionName): string[] {
  const table = tableName(name);
  return collectionSpecs[name].indexes.map((index) => {
    const keys = Object.entries(index.keys);
    const columns = keys.map(([field, direction]) => `${field === 'id' ? 'id' : indexedValue(field)}${direction === -1 ? ' DESC' : ''}`);
    const indexName = `${table}_by_${keys.map(([field]) => field.replace(/\./g, '_')).join('_')}`;
    return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${indexName} ON ${table} (${columns.join(', ')})`;
  });
}

/** Creates what is missing: tables, indexes (new ones of a later release are built here) and the meta table. */
export function ensureSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT');
    for (const name of collectionNames) {
      // A rowid table rather than WITHOUT ROWID: documents run to kilobytes (megabytes for large
      // results), which SQLite keeps best outside the primary key's b-tree.
      db.exec(`CREATE TABLE IF NOT EXISTS ${tableName(name)} (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL) STRICT`);
      for (const statement of indexStatements(name)) db.exec(statement);
    }
    db.pragma(`user_version = ${schemaVersion}`);
  })();
}

export function readMeta(db: Database.Database, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: Database.Database, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
