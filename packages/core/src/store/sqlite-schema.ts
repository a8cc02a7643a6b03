import type Database from 'better-sqlite3';
import { PackrunError } from '../errors.ts';
import { collectionNames, collectionSpecs } from './collections.ts';
import type { CollectionName } from './types.ts';

/**
 * The embedded store's tables: one per collection, holding each record's JSON (without its id) in
 * `doc`, and a column of its own for each indexed field (collections.ts), copied out of the record
 * on every write. Indexes are on those columns rather than on expressions over `doc`: an update
 * then touches only the indexes of the fields it changes, where an expression index would be
 * recomputed on every change of the document. Version 1 of this layout (PRAGMA user_version); a
 * store written by a later version is refused rather than misread.
 */
export const schemaVersion = 1;

export type SqlValue = string | number | null;

const fieldName = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const fieldsByCollection = new Map<CollectionName, string[]>();

/** The indexed fields of a collection (dotted paths, never `id`): its columns besides id and doc. */
export function indexedFields(name: CollectionName): string[] {
  const known = fieldsByCollection.get(name);
  if (known !== undefined) return known;
  const fields = new Set<string>();
  for (const index of collectionSpecs[name].indexes) {
    for (const key of Object.keys(index.keys)) if (key !== 'id') fields.add(key);
  }
  for (const field of fields) if (!fieldName.test(field)) throw new Error(`not an indexable field name: ${name}.${field}`);
  fieldsByCollection.set(name, [...fields]);
  return [...fields];
}

/** The SQL name of an indexed field's column (our own constants, checked by indexedFields). */
export function column(field: string): string {
  return `"${field}"`;
}

export function tableName(name: CollectionName): string {
  return collectionSpecs[name].storedName;
}

/**
 * The column value of an indexed field: a string or a number, or NULL when the record has none.
 * Anything else breaks what the queries assume of indexed fields, and is refused.
 */
export function columnValue(collection: CollectionName, id: string, doc: Record<string, unknown>, field: string): SqlValue {
  let value: unknown = doc;
  for (const segment of field.split('.')) {
    value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[segment] : undefined;
  }
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  throw new PackrunError('STORE_BAD_RECORD', `the ${collection} record "${id}" has ${field} of type ${Array.isArray(value) ? 'array' : typeof value}, where a string or a number is expected`, {
    details: { collection, id, field },
    userError: false,
  });
}

function indexStatements(name: CollectionName): string[] {
  const table = tableName(name);
  return collectionSpecs[name].indexes.map((index) => {
    const keys = Object.entries(index.keys);
    const columns = keys.map(([field, direction]) => `${field === 'id' ? 'id' : column(field)}${direction === -1 ? ' DESC' : ''}`);
    const indexName = `${table}_by_${keys.map(([field]) => field.replace(/\./g, '_')).join('_')}`;
    return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${indexName} ON ${table} (${columns.join(', ')})`;
  });
}

/**
 * Creates what is missing: tables, columns and indexes. A column an index of a later release
 * needs is added and filled from the documents already stored.
 */
export function ensureSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT');
    for (const name of collectionNames) {
      const table = tableName(name);
      const fields = indexedFields(name);
      // A rowid table rather than WITHOUT ROWID: documents run to kilobytes (megabytes for large
      // results), which SQLite keeps best outside the primary key's b-tree. The columns come
      // before the document: reading one then never walks a large document's overflow pages.
      db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY NOT NULL, ${fields.map((field) => `${column(field)} ANY, `).join('')}doc TEXT NOT NULL) STRICT`);
      const present = new Set((db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as Array<{ name: string }>).map((row) => row.name));
      for (const field of fields.filter((candidate) => !present.has(candidate))) {
        db.exec(`ALTER TABLE ${table} ADD COLUMN ${column(field)} ANY`);
        db.exec(`UPDATE ${table} SET ${column(field)} = json_extract(doc, '$.${field}')`);
      }
      for (const statement of indexStatements(name)) db.exec(statement);
    }
    db.pragma(`user_version = ${schemaVersion}`);
  })();
}

/** `INSERT ... (id, doc, <columns>)`, replacing the row of the same id when `upsert`. */
export function insertSql(name: CollectionName, upsert: boolean): string {
  const fields = indexedFields(name);
  const columns = ['id', 'doc', ...fields.map(column)];
  const replace = upsert ? ` ON CONFLICT (id) DO UPDATE SET ${columns.slice(1).map((name_) => `${name_} = excluded.${name_}`).join(', ')}` : '';
  return `INSERT INTO ${tableName(name)} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${replace}`;
}

/** The values for insertSql: the id, the document's JSON, then each indexed field. */
export function rowValues(name: CollectionName, id: string, doc: Record<string, unknown>, text: string): SqlValue[] {
  return [id, text, ...indexedFields(name).map((field) => columnValue(name, id, doc, field))];
}

export function readMeta(db: Database.Database, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: Database.Database, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
