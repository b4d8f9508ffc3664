import { valueBytesOf as storedBytes, entryOf, leaseEndOf, type CacheDocument } from '../runtime/backends/mongo/documents.js';
import { CliError, EXIT } from './exit-codes.js';
import type { CacheStore, EntryInfo, FunctionInfo, MarkInfo, Removal, VersionInfo } from './model.js';

/** Where the mongo backend's cache lives. */
export interface MongoTarget {
  readonly uri: string;
  readonly database: string;
  readonly collection: string;
}

type Document = CacheDocument & { readonly _id: unknown };

/** The part of the driver's `Collection` this store uses. */
interface Collection {
  find(filter: object): { toArray(): Promise<Document[]> };
  deleteOne(filter: object): Promise<{ deletedCount: number }>;
  deleteMany(filter: object): Promise<{ deletedCount: number }>;
  updateOne(filter: object, update: object): Promise<{ modifiedCount: number }>;
  updateMany(filter: object, update: object): Promise<{ modifiedCount: number }>;
}

interface Client {
  connect(): Promise<unknown>;
  close(): Promise<void>;
  db(name: string): { collection(name: string): unknown };
}

type ClientClass = new (uri: string, options: { serverSelectionTimeoutMS?: number }) => Client;

/** The `mongodb` driver, an optional peer dependency: loaded only when a mongo cache is asked for. */
async function loadDriver(): Promise<ClientClass> {
  try {
    const driver = (await import('mongodb')) as { MongoClient: ClientClass };
    return driver.MongoClient;
  } catch (error) {
    throw new CliError(
      `cannot load the mongodb driver (${(error as Error).message}); install it next to cachier: npm install mongodb`,
      EXIT.backend,
    );
  }
}

function bytesOf(document: Document): number {
  return storedBytes(document.value)?.length ?? 0;
}

/** `host:pid:uuid`, the claim token the mongo core writes. */
function ownerOf(owner: string): { host: string | null; pid: number | null } {
  const parts = owner.split(':');
  const pid = Number(parts.at(-2));
  return parts.length >= 3 ? { host: parts.slice(0, -2).join(':'), pid: Number.isInteger(pid) ? pid : null } : { host: null, pid: null };
}

const UNSET_MARK = { $unset: { owner: '', leaseUntil: '' } };
const DROP_VALUE = { $unset: { value: '', computedAt: '' } };

/**
 * The mongo backend's caches in one collection. Documents carry their
 * function id and source hash, so they describe themselves; staleness needs
 * `--stale-after`, since the collection does not hold the functions' options.
 */
export async function mongoStore(target: MongoTarget): Promise<CacheStore> {
  const MongoClient = await loadDriver();
  // An unreachable server fails in seconds, not the driver's 30, unless the URI says otherwise.
  const client = new MongoClient(target.uri, /serverSelectionTimeoutMS=/i.test(target.uri) ? {} : { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new CliError(`cannot reach MongoDB at ${target.uri}: ${(error as Error).message}`, EXIT.backend);
  }
  const collection = client.db(target.database).collection(target.collection) as Collection;
  const byFunction = new Map<string, Map<string, Document[]>>();
  let readAt = Date.now();

  const isStale = (document: Document, staleAfterMs: number | undefined, now: number): boolean | null =>
    staleAfterMs === undefined || typeof document.computedAt !== 'number' ? null : now - document.computedAt > staleAfterMs;

  function versionsOf(fn: FunctionInfo): Map<string, Document[]> {
    return byFunction.get(fn.id) ?? new Map();
  }

  function summarize(sourceHash: string, documents: Document[], current: boolean, staleAfterMs: number | undefined): VersionInfo {
    const computed = documents.filter((document) => document.value !== undefined && typeof document.computedAt === 'number');
    const times = computed.map((document) => document.computedAt as number);
    const marks: MarkInfo[] = documents
      .filter((document) => document.owner != null)
      .map((document) => {
        const leaseLeftMs = Math.max(0, leaseEndOf(document) - readAt);
        return { key: document.key, ...ownerOf(String(document.owner)), live: leaseLeftMs > 0, leaseLeftMs };
      });
    return {
      sourceHash,
      location: `${target.collection} ${sourceHash}`,
      current,
      lastUsed: times.length > 0 ? Math.max(...times) : null,
      entries: computed.length,
      bytes: computed.reduce((sum, document) => sum + bytesOf(document), 0),
      oldest: times.length > 0 ? Math.min(...times) : null,
      newest: times.length > 0 ? Math.max(...times) : null,
      stale: staleAfterMs === undefined ? null : computed.filter((document) => isStale(document, staleAfterMs, readAt)).length,
      staleAfterMs: staleAfterMs ?? null,
      marks,
      leftovers: 0,
    };
  }

  const deleteDocument = (filter: object) => async () => (await collection.deleteOne(filter)).deletedCount === 1;

  return {
    description: `mongo ${target.uri.replace(/\/\/[^@/]*@/, '//')} ${target.database}.${target.collection}`,

    async functions(staleAfterMs) {
      readAt = Date.now();
      byFunction.clear();
      for (const document of await collection.find({}).toArray()) {
        if (typeof document.functionId !== 'string' || typeof document.sourceHash !== 'string') continue;
        let versions = byFunction.get(document.functionId);
        if (!versions) byFunction.set(document.functionId, (versions = new Map()));
        const documents = versions.get(document.sourceHash) ?? [];
        documents.push(document);
        versions.set(document.sourceHash, documents);
      }
      return [...byFunction.keys()].sort().map((id): FunctionInfo => {
        const versions = [...(byFunction.get(id) ?? new Map<string, Document[]>())]
          .map(([sourceHash, documents]) => summarize(sourceHash, documents, false, staleAfterMs))
          .sort((a, b) => (b.lastUsed ?? 0) - (a.lastUsed ?? 0))
          .map((version, index) => ({ ...version, current: index === 0 }));
        const hashAt = id.lastIndexOf('#');
        return { id, location: target.collection, sourceFile: hashAt > 0 ? id.slice(0, hashAt) : null, backend: 'mongo', versions };
      });
    },

    async entries(fn, staleAfterMs) {
      const entries: EntryInfo[] = [];
      for (const [sourceHash, documents] of versionsOf(fn)) {
        for (const document of documents) {
          if (document.value === undefined) continue;
          entries.push({
            key: document.key,
            sourceHash,
            computedAt: typeof document.computedAt === 'number' ? document.computedAt : null,
            bytes: bytesOf(document),
            stale: isStale(document, staleAfterMs, readAt),
          });
        }
      }
      return entries;
    },

    async clearPlan(functions) {
      return functions.map((fn): Removal => {
        const versions = fn.versions;
        return {
          kind: 'entries',
          functionId: fn.id,
          target: `{ functionId: ${JSON.stringify(fn.id)} }`,
          entries: versions.reduce((sum, version) => sum + version.entries, 0),
          bytes: versions.reduce((sum, version) => sum + version.bytes, 0),
          // Marks stay, as in the file backend: their owners store their results when done.
          remove: async () => {
            const deleted = await collection.deleteMany({ functionId: fn.id, owner: null });
            const emptied = await collection.updateMany({ functionId: fn.id, owner: { $ne: null }, value: { $exists: true } }, DROP_VALUE);
            return deleted.deletedCount + emptied.modifiedCount > 0;
          },
        };
      });
    },

    async prunePlan(functions, policy) {
      const removals: Removal[] = [];
      const now = Date.now();
      for (const fn of functions) {
        fn.versions.forEach((version, index) => {
          const sourceHash = version.sourceHash ?? '';
          const documents = versionsOf(fn).get(sourceHash) ?? [];
          const unused = version.lastUsed === null || now - version.lastUsed > policy.unusedForMs;
          if (index > 0 && unused) {
            removals.push({
              kind: 'old version',
              functionId: fn.id,
              target: `{ functionId: ${JSON.stringify(fn.id)}, sourceHash: ${JSON.stringify(sourceHash)} }`,
              entries: version.entries,
              bytes: version.bytes,
              remove: async () => (await collection.deleteMany({ functionId: fn.id, sourceHash })).deletedCount > 0,
            });
            return;
          }
          for (const document of documents) {
            if (document.value !== undefined && isStale(document, policy.staleAfterMs, now)) {
              const cutoff = now - (policy.staleAfterMs ?? 0);
              removals.push({
                kind: 'stale entry',
                functionId: fn.id,
                target: `{ key: ${JSON.stringify(document.key)} }`,
                entries: 1,
                bytes: bytesOf(document),
                // The filter re-checks staleness: an entry recomputed since the plan stays.
                remove: deleteDocument({ _id: document._id, computedAt: { $lt: cutoff }, owner: null }),
              });
            }
            if (document.owner != null && leaseEndOf(document) <= now) {
              const filter = { _id: document._id, owner: document.owner, leaseUntil: { $lte: new Date() } };
              removals.push({
                kind: 'expired mark',
                functionId: fn.id,
                target: `{ key: ${JSON.stringify(document.key)} }`,
                entries: 0,
                bytes: 0,
                remove: async () =>
                  document.value === undefined
                    ? deleteDocument(filter)()
                    : (await collection.updateOne(filter, UNSET_MARK)).modifiedCount === 1,
              });
            }
          }
        });
      }
      return removals;
    },

    async verifyPlan(functions, onRead) {
      const removals: Removal[] = [];
      for (const fn of functions) {
        for (const documents of versionsOf(fn).values()) {
          for (const document of documents) {
            if (document.value === undefined) continue;
            onRead();
            if (entryOf(document) !== 'unreadable') continue;
            removals.push({
              kind: 'unreadable entry',
              functionId: fn.id,
              target: `{ key: ${JSON.stringify(document.key)} }`,
              entries: 1,
              bytes: bytesOf(document),
              problem: 'its value cannot be deserialized',
              remove: deleteDocument({ _id: document._id, computedAt: document.computedAt, owner: null }),
            });
          }
        }
      }
      return removals;
    },

    close: () => client.close(),
  };
}
