import { BackendError, InvalidOptionError } from '../../errors.js';
import { lazyClient } from '../shared/connection.js';
import { loadPeer, type AddressDetails, type CacheInspector, type InspectorOptions } from '../shared/inspection.js';
import { recordInspector, type StoredRecord } from '../shared/record-inspector.js';
import { entryOf, leaseEndOf, valueBytesOf, type CacheDocument } from './documents.js';

type Document = CacheDocument & { readonly _id: unknown };

/** The part of the driver's `Collection` the inspector uses. */
interface Collection {
  readonly collectionName?: string;
  readonly dbName?: string;
  readonly client?: { close(): Promise<void> };
  find(filter: object): { toArray(): Promise<Document[]> };
  findOne(filter: object): Promise<Document | null>;
  deleteOne(filter: object): Promise<{ deletedCount: number }>;
  deleteMany(filter: object): Promise<{ deletedCount: number }>;
  updateOne(filter: object, update: object): Promise<{ modifiedCount: number }>;
  updateMany(filter: object, update: object): Promise<{ modifiedCount: number }>;
}

interface MongoRecord extends StoredRecord {
  readonly _id: unknown;
}

const UNSET_MARK = { $unset: { owner: '', leaseUntil: '' } };
const DROP_VALUE = { $unset: { value: '', computedAt: '' } };

function asCollection(value: unknown): Collection {
  const methods = ['find', 'findOne', 'deleteOne', 'deleteMany', 'updateOne', 'updateMany'];
  if (methods.some((name) => typeof (value as Record<string, unknown> | null)?.[name] !== 'function')) {
    throw new InvalidOptionError(
      'mongetter',
      "must return a MongoDB Collection (or a promise of one), e.g. () => client.db('app').collection('cachier')",
    );
  }
  return value as Collection;
}

/**
 * The mongo backend's inspector on one collection. Documents carry their
 * function id and source hash, so they describe themselves; they carry no
 * policy, so stale entries are counted and pruned only with `--stale-after`.
 */
export async function openInspector(options: InspectorOptions): Promise<CacheInspector> {
  const collection = await lazyClient(options['mongetter'], asCollection)();
  // A URI given in the shell is shown without its credentials; a config's collection is named by its database.
  const server = typeof options['address'] === 'string' ? `${options['address'].replace(/\/\/[^@/]*@/, '//')} ` : '';
  const filterOf = (record: MongoRecord): string => `{ key: ${JSON.stringify(record.key)} }`;

  async function list(): Promise<MongoRecord[]> {
    const records: MongoRecord[] = [];
    for (const document of await collection.find({}).toArray()) {
      if (typeof document.functionId !== 'string' || typeof document.sourceHash !== 'string') continue;
      const hasEntry = document.value !== undefined;
      records.push({
        _id: document._id,
        functionId: document.functionId,
        sourceHash: document.sourceHash,
        key: document.key,
        hasEntry,
        bytes: hasEntry ? (valueBytesOf(document.value)?.length ?? 0) : 0,
        computedAt: hasEntry && typeof document.computedAt === 'number' ? document.computedAt : null,
        mark: document.owner != null ? { owner: String(document.owner), leaseEnd: leaseEndOf(document) } : undefined,
      });
    }
    return records;
  }

  return recordInspector<MongoRecord>({
    backend: 'mongo',
    description: `mongo ${server}${collection.dbName ?? '?'}.${collection.collectionName ?? '?'}`,
    locationOf: (functionId, sourceHash) =>
      `{ functionId: ${JSON.stringify(functionId)}${sourceHash === undefined ? '' : `, sourceHash: ${JSON.stringify(sourceHash)}`} }`,
    targetOf: filterOf,
    list,
    // Marks stay, as in the file backend: their owners store their results when done.
    async clearEntries(functionId) {
      const deleted = await collection.deleteMany({ functionId, owner: null });
      const emptied = await collection.updateMany({ functionId, owner: { $ne: null }, value: { $exists: true } }, DROP_VALUE);
      return deleted.deletedCount + emptied.modifiedCount > 0;
    },
    dropVersion: async (functionId, sourceHash) => (await collection.deleteMany({ functionId, sourceHash })).deletedCount > 0,
    // The filter re-checks staleness: an entry recomputed since the plan stays.
    dropStaleEntry: async (record, cutoff) =>
      (await collection.deleteOne({ _id: record._id, computedAt: { $lt: cutoff }, owner: null })).deletedCount === 1,
    async dropExpiredMark(record) {
      const filter = { _id: record._id, owner: record.mark?.owner, leaseUntil: { $lte: new Date() } };
      if (!record.hasEntry) return (await collection.deleteOne(filter)).deletedCount === 1;
      return (await collection.updateOne(filter, UNSET_MARK)).modifiedCount === 1;
    },
    async problemOf(record) {
      return entryOf(await collection.findOne({ _id: record._id })) === 'unreadable' ? 'its value cannot be deserialized' : undefined;
    },
    async dropUnreadable(record) {
      const document = await collection.findOne({ _id: record._id });
      if (entryOf(document) !== 'unreadable') return false;
      return (await collection.deleteOne({ _id: record._id, computedAt: document?.computedAt, owner: null })).deletedCount === 1;
    },
    // The command owns its process: the collection's client is closed, so it exits promptly.
    close: async () => collection.client?.close(),
  });
}

/** Options reaching `collection` of `database` at `uri` (`--mongo-uri`) through the mongodb driver, an optional peer. */
export async function optionsForAddress(uri: string, details: AddressDetails): Promise<InspectorOptions> {
  const { MongoClient } = await loadPeer<{
    MongoClient: new (
      uri: string,
      options: object,
    ) => { connect(): Promise<unknown>; db(name: string): { collection(name: string): unknown } };
  }>('mongodb', 'mongo');
  // An unreachable server fails in seconds, not the driver's 30, unless the URI says otherwise.
  const client = new MongoClient(uri, /serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new BackendError(`cannot reach MongoDB at ${uri}: ${(error as Error).message}`, { cause: error });
  }
  const collection = client.db(details.database ?? 'cachier').collection(details.collection ?? 'cachier');
  return { backend: 'mongo', mongetter: () => collection, address: uri };
}
