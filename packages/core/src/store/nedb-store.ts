import { mkdirSync } from 'node:fs';
import path from 'node:path';
import nedbModule from '@seald-io/nedb';
import { PackrunError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { collectionNames, collectionSpecs, storeCollections } from './collections.ts';
import { duplicate, fromDocument, toDocument, toQuery, toSort, toUpdate } from './document-codec.ts';
import { withMongoNullSemantics } from './nedb-query.ts';
import { appendSynchronously } from './nedb-sync-append.ts';
import { lockStore } from './store-lock.ts';
import type { Collection, CollectionName, Filter, FindOptions, Patch, Store } from './types.ts';

/**
 * The zero-setup store: one NeDB file per collection in PACKRUN_HOME/store, for a single process.
 * NeDB runs every operation of a collection through one queue, so an update's match-and-change is
 * atomic within the process, and the folder lock keeps other processes out.
 */
export interface NedbStoreOptions {
  /** Folder holding the data files (dataPaths(home).store). */
  dir: string;
  /** How often each data file is compacted while open; it is also compacted on open and close. */
  compactionIntervalMs?: number;
  logger?: Logger;
}

type Doc = Record<string, unknown>;

// The package is CommonJS (`module.exports = Datastore`) while its types declare an ES default
// export, so under nodenext the default import's type is the module namespace; this lines them up.
type Nedb<S> = nedbModule.default<S>;
const Nedb = nedbModule as unknown as typeof nedbModule.default;

function isDuplicate(error: unknown): boolean {
  return (error as { errorType?: string } | null)?.errorType === 'uniqueViolated';
}

class EmbeddedCollection<T extends { id: string }> implements Collection<T> {
  constructor(
    readonly name: string,
    private readonly db: Nedb<Doc>,
    private readonly assertOpen: () => void,
  ) {}

  private query(filter: Filter<T>): Record<string, unknown> {
    return withMongoNullSemantics(toQuery(this.name, filter));
  }

  async get(id: string): Promise<T | undefined> {
    this.assertOpen();
    const doc = await this.db.findOneAsync({ _id: id });
    return doc === null ? undefined : fromDocument<T>(doc);
  }

  async findOne(filter: Filter<T>, options: Pick<FindOptions<T>, 'sort'> = {}): Promise<T | undefined> {
    const [first] = await this.find(filter, { ...options, limit: 1 });
    return first;
  }

  async find(filter: Filter<T>, options: FindOptions<T> = {}): Promise<T[]> {
    this.assertOpen();
    let cursor = this.db.findAsync(this.query(filter));
    const sort = toSort(options.sort);
    if (sort.length > 0) cursor = cursor.sort(Object.fromEntries(sort));
    if (options.skip !== undefined) cursor = cursor.skip(options.skip);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    const docs = await cursor;
    return docs.map((doc: Doc) => fromDocument<T>(doc));
  }

  async count(filter: Filter<T>): Promise<number> {
    this.assertOpen();
    return await this.db.countAsync(this.query(filter));
  }

  async insert(record: T): Promise<T> {
    this.assertOpen();
    const doc = toDocument(this.name, record);
    try {
      await this.db.insertAsync(doc);
    } catch (error) {
      if (isDuplicate(error)) throw duplicate(this.name, record.id, error);
      throw error;
    }
    return fromDocument<T>(doc);
  }

  async put(record: T): Promise<T> {
    this.assertOpen();
    const doc = toDocument(this.name, record);
    await this.db.updateAsync({ _id: doc['_id'] }, doc, { upsert: true });
    return fromDocument<T>(doc);
  }

  async update(filter: Filter<T>, patch: Patch<T>): Promise<number> {
    this.assertOpen();
    const { numAffected } = await this.db.updateAsync(this.query(filter), toUpdate(this.name, patch), { multi: true });
    return numAffected;
  }

  async updateOne(filter: Filter<T>, patch: Patch<T>): Promise<T | undefined> {
    this.assertOpen();
    const { affectedDocuments } = await this.db.updateAsync(this.query(filter), toUpdate(this.name, patch), {
      multi: false,
      returnUpdatedDocs: true,
    });
    const doc = affectedDocuments as Doc | null | undefined;
    return doc == null ? undefined : fromDocument<T>(doc);
  }

  async remove(filter: Filter<T>): Promise<number> {
    this.assertOpen();
    return await this.db.removeAsync(this.query(filter), { multi: true });
  }
}

export async function openNedbStore(options: NedbStoreOptions): Promise<Store> {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const lock = lockStore(options.dir);
  const logger = options.logger?.child({ component: 'embedded-store' });
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new PackrunError('STORE_CLOSED', `the embedded store in ${options.dir} is closed`, { userError: false });
  };
  const databases = new Map<CollectionName, Nedb<Doc>>();
  try {
    for (const name of collectionNames) {
      const spec = collectionSpecs[name];
      const db = new Nedb<Doc>({ filename: path.join(options.dir, `${spec.storedName}.db`) });
      appendSynchronously(db);
      // Loading rewrites the data file without superseded lines: the compaction on open.
      await db.loadDatabaseAsync();
      for (const index of spec.indexes) {
        const [fieldName] = Object.keys(index.keys);
        if (fieldName !== undefined) await db.ensureIndexAsync({ fieldName, unique: index.unique ?? false });
      }
      databases.set(name, db);
    }
  } catch (cause) {
    lock.release();
    throw new PackrunError('STORE_CORRUPT', `the embedded store in ${options.dir} could not be loaded: ${(cause as Error).message}`, {
      hint: 'a data file is damaged; restore it from a backup or move it aside to start that collection empty',
      details: { dir: options.dir },
      cause,
      userError: false,
    });
  }
  logger?.debug({ dir: options.dir }, 'embedded store opened');
  // NeDB appends every change to the file; compaction rewrites it to one line per record. Our own
  // timer rather than NeDB's so it can be unref'd: an open store must not keep a process alive.
  const compaction = setInterval(() => {
    for (const [name, db] of databases) {
      db.compactDatafileAsync().catch((error: unknown) => logger?.warn({ err: error, collection: name }, 'compaction failed'));
    }
  }, Math.max(options.compactionIntervalMs ?? 3_600_000, 5_000));
  compaction.unref();
  const collection = <T extends { id: string }>(name: CollectionName): Collection<T> =>
    new EmbeddedCollection<T>(name, databases.get(name) as Nedb<Doc>, assertOpen);

  return {
    kind: 'embedded',
    ...storeCollections(collection),
    async ping() {
      assertOpen();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(compaction);
      try {
        // Compaction is queued behind every pending operation, so this also waits for them.
        for (const db of databases.values()) await db.compactDatafileAsync();
      } finally {
        lock.release();
        logger?.debug({ dir: options.dir }, 'embedded store closed');
      }
    },
  };
}
