import type Database from 'better-sqlite3';
import { PackrunError } from '../errors.ts';
import { duplicate, fromDocumentText, fromStoredDocument, toDocument, toQuery, toSort, toUpdate } from './document-codec.ts';
import { column, columnValue, indexedFields, insertSql, rowValues, tableName, type SqlValue } from './sqlite-schema.ts';
import { toOrderBy, toWhere, type QueryContext } from './sqlite-query.ts';
import type { Collection, CollectionName, Filter, FindOptions, Patch } from './types.ts';

type Doc = Record<string, unknown>;
type Row = { id: string; doc: string };

/**
 * One collection of the embedded store: a table of `(id, doc)`. better-sqlite3 runs each statement
 * to completion before returning and this process is the store's only writer (store-lock.ts), so
 * an update's read, change and write, done together without yielding, is atomic: that is what
 * makes `update` a compare-and-set. Several rows change inside one transaction, one commit.
 */
export interface SqliteCollectionOptions {
  name: CollectionName;
  db: Database.Database;
  /** Throws once the store is closed; turns SQLite's errors into the store's. */
  run: <R>(operation: () => R) => R;
}

/** Prepared statements kept per SQL text; filters come in few shapes, so this stays small. */
const statementCacheLimit = 256;

export class SqliteCollection<T extends { id: string }> implements Collection<T> {
  readonly name: string;
  private readonly table: string;
  private readonly context: QueryContext;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly options: SqliteCollectionOptions) {
    this.name = options.name;
    this.table = tableName(options.name);
    this.context = { collection: options.name, indexed: new Set(indexedFields(options.name)) };
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      if (this.statements.size >= statementCacheLimit) this.statements.clear();
      statement = this.options.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private select(columns: string, filter: Filter<T>, options: FindOptions<T> = {}): { sql: string; params: SqlValue[] } {
    const where = toWhere(this.context, toQuery(this.name, filter));
    const order = toOrderBy(this.context, toSort(options.sort));
    let sql = `SELECT ${columns} FROM ${this.table} WHERE ${where.sql}${order.sql}`;
    const params = [...where.params, ...order.params];
    if (options.limit !== undefined || options.skip !== undefined) {
      sql += ' LIMIT ? OFFSET ?';
      params.push(options.limit ?? -1, options.skip ?? 0);
    }
    return { sql, params };
  }

  private rows(filter: Filter<T>, options?: FindOptions<T>): Row[] {
    const { sql, params } = this.select('id, doc', filter, options);
    return this.statement(sql).all(...params) as Row[];
  }

  async get(id: string): Promise<T | undefined> {
    return this.options.run(() => {
      const row = this.statement(`SELECT doc FROM ${this.table} WHERE id = ?`).get(id) as { doc: string } | undefined;
      return row === undefined ? undefined : fromDocumentText<T>(id, row.doc);
    });
  }

  async findOne(filter: Filter<T>, options: Pick<FindOptions<T>, 'sort'> = {}): Promise<T | undefined> {
    const [first] = await this.find(filter, { ...options, limit: 1 });
    return first;
  }

  async find(filter: Filter<T>, options: FindOptions<T> = {}): Promise<T[]> {
    return this.options.run(() => this.rows(filter, options).map((row) => fromDocumentText<T>(row.id, row.doc)));
  }

  async count(filter: Filter<T>): Promise<number> {
    return this.options.run(() => {
      const { sql, params } = this.select('count(*) AS n', filter);
      return (this.statement(sql).get(...params) as { n: number }).n;
    });
  }

  async insert(record: T): Promise<T> {
    return this.options.run(() => {
      const { id, doc, text, values } = this.stored(record);
      try {
        this.statement(insertSql(this.options.name, false)).run(...values);
      } catch (error) {
        if (isConstraint(error)) throw duplicate(this.name, id, error);
        throw error;
      }
      return fromStoredDocument<T>(id, doc, text);
    });
  }

  async put(record: T): Promise<T> {
    return this.options.run(() => {
      const { id, doc, text, values } = this.stored(record);
      try {
        this.statement(insertSql(this.options.name, true)).run(...values);
      } catch (error) {
        if (isConstraint(error)) throw duplicate(this.name, id, error);
        throw error;
      }
      return fromStoredDocument<T>(id, doc, text);
    });
  }

  async update(filter: Filter<T>, patch: Patch<T>): Promise<number> {
    return this.options.run(() => {
      const update = toUpdate(this.name, patch);
      const rows = this.rows(filter);
      if (rows.length === 0) return 0;
      this.options.db.transaction(() => {
        for (const row of rows) this.write(row.id, this.patched(row, update), update);
      })();
      return rows.length;
    });
  }

  async updateOne(filter: Filter<T>, patch: Patch<T>): Promise<T | undefined> {
    return this.options.run(() => {
      const update = toUpdate(this.name, patch);
      const [row] = this.rows(filter, { limit: 1 });
      if (row === undefined) return undefined;
      const doc = this.patched(row, update);
      return fromStoredDocument<T>(row.id, doc, this.write(row.id, doc, update));
    });
  }

  async remove(filter: Filter<T>): Promise<number> {
    return this.options.run(() => {
      const where = toWhere(this.context, toQuery(this.name, filter));
      return this.statement(`DELETE FROM ${this.table} WHERE ${where.sql}`).run(...where.params).changes;
    });
  }

  /**
   * The id, the document (a copy the store owns, so it may be handed back as the stored record),
   * its JSON and the row's values for insertSql.
   */
  private stored(record: T): { id: string; doc: Doc; text: string; values: SqlValue[] } {
    const { _id, ...doc } = toDocument(this.name, record);
    const id = _id as string;
    const text = JSON.stringify(doc);
    return { id, doc, text, values: rowValues(this.options.name, id, doc, text) };
  }

  /**
   * The document after MongoDB's `$set`, `$unset` and `$push` of a toUpdate() result: parsed from
   * the row and given the update's values, themselves copies (toJsonValue), so the store owns it.
   */
  private patched(row: Row, update: Doc): Doc {
    const doc = JSON.parse(row.doc) as Doc;
    Object.assign(doc, update['$set'] as Doc | undefined);
    for (const field of Object.keys((update['$unset'] as Doc | undefined) ?? {})) delete doc[field];
    for (const [field, element] of Object.entries((update['$push'] as Doc | undefined) ?? {})) {
      const current = doc[field];
      if (current === undefined) doc[field] = [element];
      else if (Array.isArray(current)) current.push(element);
      else {
        throw new PackrunError('STORE_BAD_PATCH', `cannot push to ${this.name}.${field} of "${row.id}": it is not an array`, {
          details: { collection: this.name, id: row.id, field },
          userError: false,
        });
      }
    }
    return doc;
  }

  /**
   * Stores a changed document with the columns of the fields the update touched, and only
   * those: SQLite then leaves alone every index on the others. Returns the document's JSON.
   */
  private write(id: string, doc: Doc, update: Doc): string {
    const touched = new Set<string>();
    for (const part of ['$set', '$unset', '$push']) for (const field of Object.keys((update[part] as Doc | undefined) ?? {})) touched.add(field);
    const fields = indexedFields(this.options.name).filter((field) => touched.has(field.split('.')[0] as string));
    const text = JSON.stringify(doc);
    const assignments = ['doc = ?', ...fields.map((field) => `${column(field)} = ?`)].join(', ');
    this.statement(`UPDATE ${this.table} SET ${assignments} WHERE id = ?`).run(text, ...fields.map((field) => columnValue(this.options.name, id, doc, field)), id);
    return text;
  }
}

function isConstraint(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
