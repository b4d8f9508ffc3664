import { InvalidOptionError } from '../../errors.js';

/**
 * The part of a MongoDB `Collection` the mongo backend uses, written
 * structurally so that cachier never loads `mongodb` itself: any
 * `Collection` of the official driver (version 6 or later) fits.
 */
export interface MongoCollection {
  findOne(filter: object, options: { projection: object }): Promise<object | null>;
  find(filter: object, options: { projection: object }): { toArray(): Promise<object[]> };
  findOneAndUpdate(
    filter: object,
    update: object,
    options: { upsert: boolean; projection: object; returnDocument?: 'before' | 'after' },
  ): Promise<object | null>;
  updateOne(filter: object, update: object, options?: { upsert: boolean }): Promise<{ matchedCount: number }>;
  updateMany(filter: object, update: object): Promise<unknown>;
  deleteMany(filter: object): Promise<{ deletedCount: number }>;
  countDocuments(filter: object): Promise<number>;
  createIndex(keys: Record<string, 1>, options: { unique: boolean; name: string }): Promise<string>;
}

/** The name of the unique index on the identity fields of cache documents. */
export const IDENTITY_INDEX = 'cachier_identity';

// One index creation per collection object and process, shared by every
// function cached in it; forgotten on failure so the next call retries.
const indexesReady = new WeakMap<MongoCollection, Promise<void>>();

/** Creates the unique identity index of `collection` once per process. */
export function ensureIndexes(collection: MongoCollection): Promise<void> {
  let ready = indexesReady.get(collection);
  if (!ready) {
    ready = collection.createIndex({ functionId: 1, sourceHash: 1, key: 1 }, { unique: true, name: IDENTITY_INDEX }).then(() => undefined);
    indexesReady.set(collection, ready);
    ready.catch(() => indexesReady.delete(collection));
  }
  return ready;
}

/** Checks that what a `mongetter` returned looks like a driver `Collection`. */
export function asMongoCollection(value: unknown): MongoCollection {
  const methods: Array<keyof MongoCollection> = [
    'findOne',
    'find',
    'findOneAndUpdate',
    'updateOne',
    'updateMany',
    'deleteMany',
    'countDocuments',
    'createIndex',
  ];
  const missing = methods.filter((name) => typeof (value as Record<string, unknown> | null)?.[name] !== 'function');
  if (missing.length > 0) {
    throw new InvalidOptionError(
      'mongetter',
      `must return a MongoDB Collection (or a promise of one), e.g. () => client.db('app').collection('cachier'); ` +
        `what it returned has no ${missing.join(', ')}`,
    );
  }
  return value as MongoCollection;
}
