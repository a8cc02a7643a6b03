import type mongoose from 'mongoose';
import { PackrunError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { collectionNames, collectionSpecs, storeCollections } from './collections.ts';
import { duplicate, fromDocument, toDocument, toQuery, toSort, toUpdate } from './document-codec.ts';
import { removeExecutionsWithBlobs } from './execution-removal.ts';
import { faultOfMongoError, storeWriteFault } from './store-write-faults.ts';
import { createGridFsBlobs } from './gridfs-blobs.ts';
import type { Collection, CollectionName, ExecutionRecord, Filter, FindOptions, Patch, Store } from './types.ts';

/**
 * The store for the distributed deployment. Mongoose owns the connection (the driver reconnects by
 * itself) and the index definitions; reads and writes go through the driver's collections so no
 * schema casting touches records that are already plain JSON. While MongoDB is unreachable an
 * operation waits for server selection, then fails with STORE_UNAVAILABLE.
 */
export interface MongoStoreOptions {
  url: string;
  /** Database name; default: the one in the URL, else `packrun`. */
  dbName?: string;
  /** How long an operation waits for a reachable server before STORE_UNAVAILABLE. */
  serverSelectionTimeoutMs?: number;
  logger?: Logger;
}

type Doc = { _id: string } & Record<string, unknown>;
type DriverCollection = mongoose.mongo.Collection<Doc>;

/** The database named in the URL's path, if any. */
function urlDatabase(url: string): string | undefined {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(url)?.[1];
  return name === undefined || name === '' ? undefined : decodeURIComponent(name);
}

function redacted(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

function isOutage(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? '';
  return /MongoNetwork|ServerSelection|NotConnected|PoolCleared|TopologyClosed/.test(name);
}

class MongoCollection<T extends { id: string }> implements Collection<T> {
  constructor(
    readonly name: string,
    private readonly collection: DriverCollection,
    private readonly url: string,
  ) {}

  private async run<R>(operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      if (isOutage(error)) {
        throw new PackrunError('STORE_UNAVAILABLE', `MongoDB at ${redacted(this.url)} is unreachable: ${(error as Error).message}`, {
          hint: 'check that MongoDB is running and PACKRUN_MONGODB_URL points at it; the store reconnects by itself',
          details: { collection: this.name },
          cause: error,
          userError: false,
        });
      }
      const fault = faultOfMongoError(error);
      if (fault !== undefined) throw storeWriteFault(fault, `to the ${this.name} collection`, error, { collection: this.name });
      throw error;
    }
  }

  private query(filter: Filter<T>): mongoose.mongo.Filter<Doc> {
    return toQuery(this.name, filter) as mongoose.mongo.Filter<Doc>;
  }

  async get(id: string): Promise<T | undefined> {
    const doc = await this.run(() => this.collection.findOne({ _id: id }));
    return doc === null ? undefined : fromDocument<T>(doc);
  }

  async findOne(filter: Filter<T>, options: Pick<FindOptions<T>, 'sort'> = {}): Promise<T | undefined> {
    const [first] = await this.find(filter, { ...options, limit: 1 });
    return first;
  }

  async find(filter: Filter<T>, options: FindOptions<T> = {}): Promise<T[]> {
    const query = this.query(filter);
    const docs = await this.run(() => {
      const cursor = this.collection.find(query, { sort: toSort(options.sort) });
      if (options.skip !== undefined) cursor.skip(options.skip);
      if (options.limit !== undefined) cursor.limit(options.limit);
      return cursor.toArray();
    });
    return docs.map((doc) => fromDocument<T>(doc));
  }

  async count(filter: Filter<T>): Promise<number> {
    const query = this.query(filter);
    return await this.run(() => this.collection.countDocuments(query));
  }

  async insert(record: T): Promise<T> {
    const doc = toDocument(this.name, record) as Doc;
    try {
      await this.run(() => this.collection.insertOne(doc));
    } catch (error) {
      if ((error as { code?: number }).code === 11000) throw duplicate(this.name, record.id, error);
      throw error;
    }
    return fromDocument<T>(doc);
  }

  async put(record: T): Promise<T> {
    const doc = toDocument(this.name, record) as Doc;
    await this.run(() => this.collection.replaceOne({ _id: doc._id }, doc, { upsert: true }));
    return fromDocument<T>(doc);
  }

  async update(filter: Filter<T>, patch: Patch<T>): Promise<number> {
    const query = this.query(filter);
    const update = toUpdate(this.name, patch);
    const result = await this.run(() => this.collection.updateMany(query, update));
    return result.matchedCount;
  }

  async updateOne(filter: Filter<T>, patch: Patch<T>): Promise<T | undefined> {
    const query = this.query(filter);
    const update = toUpdate(this.name, patch);
    const doc = await this.run(() => this.collection.findOneAndUpdate(query, update, { returnDocument: 'after' }));
    return doc === null ? undefined : fromDocument<T>(doc);
  }

  async remove(filter: Filter<T>): Promise<number> {
    const query = this.query(filter);
    const result = await this.run(() => this.collection.deleteMany(query));
    return result.deletedCount;
  }
}

export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  // Loaded here, not at the top: mongoose costs most of a second to import, and only
  // deployments with a MongoDB URL need it (every CLI call would pay otherwise).
  const { default: mongoose, Schema } = await import('mongoose');
  const logger = options.logger?.child({ component: 'mongodb-store' });
  const connection = mongoose.createConnection(options.url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
    autoIndex: false,
    dbName: options.dbName ?? urlDatabase(options.url) ?? 'packrun',
  });
  connection.on('disconnected', () => logger?.warn('MongoDB connection lost; the driver is reconnecting'));
  connection.on('reconnected', () => logger?.info('MongoDB connection back'));
  try {
    await connection.asPromise();
  } catch (cause) {
    await connection.close().catch(() => undefined);
    throw new PackrunError('STORE_UNAVAILABLE', `cannot connect to MongoDB at ${redacted(options.url)}: ${(cause as Error).message}`, {
      hint: 'check that MongoDB is running and PACKRUN_MONGODB_URL points at it',
      cause,
    });
  }
  const db = connection.db;
  if (db === undefined) throw new PackrunError('STORE_UNAVAILABLE', 'MongoDB connection has no database', { userError: false });

  const collections = new Map<CollectionName, DriverCollection>();
  for (const name of collectionNames) {
    const spec = collectionSpecs[name];
    const schema = new Schema({ _id: String }, { strict: false, versionKey: false, collection: spec.storedName, autoIndex: false });
    for (const index of spec.indexes) {
      const keys = Object.fromEntries(Object.entries(index.keys).map(([field, direction]) => [field === 'id' ? '_id' : field, direction]));
      schema.index(keys, { unique: index.unique ?? false });
    }
    const model = connection.model(spec.storedName, schema);
    await model.createIndexes();
    collections.set(name, db.collection<Doc>(spec.storedName));
  }
  logger?.debug({ db: connection.name }, 'MongoDB store opened');

  const collection = <T extends { id: string }>(name: CollectionName): Collection<T> =>
    new MongoCollection<T>(name, collections.get(name) as DriverCollection, options.url);

  const collections_ = storeCollections(collection);
  const executionBlobs = await createGridFsBlobs(db, mongoose.mongo);
  return {
    kind: 'mongodb',
    ...collections_,
    executionBlobs,
    removeExecutions: (filter: Filter<ExecutionRecord>) => removeExecutionsWithBlobs(collections_.executions, executionBlobs, filter, collections_.workflows, collections_.workflowItems),
    async ping() {
      try {
        await db.command({ ping: 1 });
      } catch (cause) {
        throw new PackrunError('STORE_UNAVAILABLE', `MongoDB at ${redacted(options.url)} does not answer: ${(cause as Error).message}`, { cause, userError: false });
      }
    },
    async close() {
      await connection.close();
    },
  };
}
