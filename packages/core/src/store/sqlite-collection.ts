import type Database from 'better-sqlite3';
import { PackrunError } from '../errors.ts';
import { duplicate, fromDocumentText, toDocument, toQuery, toSort, toUpdate } from './document-codec.ts';
import { indexedFields, tableName } from './sqlite-schema.ts';
import { toOrderBy, toWhere, type QueryContext, type SqlValue } from './sqlite-query.ts';
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
    this.context = { collection: options.name, indexed: indexedFields(options.name) };
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
      const { id, text } = stored(this.name, record);
      try {
        this.statement(`INSERT INTO ${this.table} (id, doc) VALUES (?, ?)`).run(id, text);
      } catch (error) {
        if (isConstraint(error)) throw duplicate(this.name, id, error);
        throw error;
      }
      return fromDocumentText<T>(id, text);
    });
  }

  async put(record: T): Promise<T> {
    return this.options.run(() => {
      const { id, text } = stored(this.name, record);
      try {
        this.statement(`INSERT INTO ${this.table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`).run(id, text);
      } catch (error) {
        if (isConstraint(error)) throw duplicate(this.name, id, error);
        throw error;
      }
      return fromDocumentText<T>(id, text);
    });
  }

  async update(filter: Filter<T>, patch: Patch<T>): Promise<number> {
    return this.options.run(() => {
      const update = toUpdate(this.name, patch);
      const rows = this.rows(filter);
      if (rows.length === 0) return 0;
      const write = this.statement(`UPDATE ${this.table} SET doc = ? WHERE id = ?`);
      this.options.db.transaction(() => {
        for (const row of rows) write.run(this.patched(row, update), row.id);
      })();
      return rows.length;
    });
  }

  async updateOne(filter: Filter<T>, patch: Patch<T>): Promise<T | undefined> {
    return this.options.run(() => {
      const update = toUpdate(this.name, patch);
      const [row] = this.rows(filter, { limit: 1 });
      if (row === undefined) return undefined;
      const text = this.patched(row, update);
      this.statement(`UPDATE ${this.table} SET doc = ? WHERE id = ?`).run(text, row.id);
      return fromDocumentText<T>(row.id, text);
    });
  }

  async remove(filter: Filter<T>): Promise<number> {
    return this.options.run(() => {
      const where = toWhere(this.context, toQuery(this.name, filter));
      return this.statement(`DELETE FROM ${this.table} WHERE ${where.sql}`).run(...where.params).changes;
    });
  }

  /** The document text after MongoDB's `$set`, `$unset` and `$push` of a toUpdate() result. */
  private patched(row: Row, update: Doc): string {
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
    return JSON.stringify(doc);
  }
}

/** The id and the JSON text of the rest of a record, as the table keeps them. */
function stored(collection: string, record: { id: string }): { id: string; text: string } {
  const { _id, ...rest } = toDocument(collection, record);
  return { id: _id as string, text: JSON.stringify(rest) };
}

function isConstraint(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
