import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheCore, ClaimResult, CoreSettings, StoredEntry, WaitOptions } from '../core.js';
import { BackendError, CachierError, InvalidOptionError } from '../errors.js';
import { serializeValue } from '../serialization.js';
import { asMongoCollection, ensureIndexes, type MongoCollection } from './mongo/collection.js';
import { checkFitsInDocument, entryOf, leaseEndOf, valueBytesOf, type CacheDocument } from './mongo/documents.js';

/** Polling of a key another caller computes starts this fast and slows down to once a second. */
const FIRST_POLL_MS = 25;
const LONGEST_POLL_MS = 1000;

const ENTRY_FIELDS = { _id: 0, value: 1, computedAt: 1 } as const;
const CLEAR_MARK = { $unset: { owner: '', leaseUntil: '' } } as const;

function isDuplicateKeyError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}

/**
 * The update of a read that claims: sets the mark only on a document with
 * no value and no live mark (a new one included), leaves any other as it is.
 * `now` is this machine's clock, as for every lease.
 */
function claimPipeline(token: string, now: Date, leaseMs: number): object[] {
  const free = {
    $and: [
      { $eq: [{ $type: '$value' }, 'missing'] },
      { $or: [{ $eq: [{ $ifNull: ['$owner', null] }, null] }, { $lte: ['$leaseUntil', now] }] },
    ],
  };
  return [{ $set: { owner: { $cond: [free, token, '$owner'] }, leaseUntil: { $cond: [free, new Date(now.getTime() + leaseMs), '$leaseUntil'] } } }];
}

/** Names this machine in claim tokens; read once, not on every miss. */
const HOST = hostname();

/** How long entries of another source hash are kept after they were computed. */
const OTHER_VERSIONS_KEPT_MS = 24 * 60 * 60 * 1000;

/**
 * The `mongo` backend: one document per (function id, source hash, key) in
 * the collection the `mongetter` returns, so every machine using that
 * collection shares the cache. Round trips: a hit is one `findAndModify`
 * that reads the entry and, only when there is none and nobody holds the key,
 * claims it (on a stored entry it changes nothing, and MongoDB writes
 * nothing); a miss is that, then one `update` that stores the value and
 * clears the claim. Serves async functions only.
 */
export function createMongoCore(settings: CoreSettings): CacheCore {
  const { functionId, sourceHash, leaseMs, log } = settings;
  const mongetter = settings.mongetter;
  if (!mongetter) throw new InvalidOptionError('mongetter', `backend 'mongo' needs a mongetter: a function returning the MongoDB collection to use`);
  const identity = (key: string) => ({ functionId, sourceHash, key });

  let collection: Promise<MongoCollection> | undefined;
  const ready = async (): Promise<MongoCollection> => {
    if (!collection) {
      collection = Promise.resolve()
        .then(mongetter)
        .then(asMongoCollection);
      // A failed mongetter (e.g. the server is down at connect time) is retried on the next call.
      collection.catch(() => (collection = undefined));
    }
    const resolved = await collection;
    await ensureIndexes(resolved);
    return resolved;
  };

  /** Runs one operation against the collection, turning driver failures into a {@link BackendError}. */
  const run = async <T>(what: string, operation: (collection: MongoCollection) => Promise<T>): Promise<T> => {
    try {
      return await operation(await ready());
    } catch (error) {
      if (error instanceof CachierError) throw error;
      throw new BackendError(
        `cachier: MongoDB ${what} failed: ${(error as Error)?.message ?? String(error)}. Check that the server is reachable ` +
          `and the collection writable; set serverSelectionTimeoutMS on the MongoClient so that an unreachable server fails fast`,
        { cause: error },
      );
    }
  };

  // Keys this process claimed while reading them (see `get`), with their
  // tokens: the engine's claim that follows a miss is then answered without
  // a round trip.
  const claimedOnRead = new Map<string, string>();
  const newToken = (): string => `${HOST}:${process.pid}:${randomUUID()}`;
  const takeClaimedOnRead = (key: string): string | undefined => {
    const token = claimedOnRead.get(key);
    claimedOnRead.delete(key);
    return token;
  };

  const readEntry = (document: CacheDocument | null): StoredEntry | undefined => {
    const entry = entryOf(document);
    if (entry !== 'unreadable') return entry;
    log.warn(`an entry in MongoDB could not be read and counts as missing; it is replaced when recomputed`, 'CACHIER_UNREADABLE_ENTRY');
    return undefined;
  };

  // Documents of another source hash are never served. So that they do not
  // pile up, the first store of each process deletes those not computed for a
  // day (and abandoned marks): the same rule as the file backend, which lets
  // two deployments of different code share a collection without erasing
  // each other's fresh entries.
  let olderHashesDropped = false;
  const dropOlderSourceHashes = async (target: MongoCollection): Promise<void> => {
    if (olderHashesDropped) return;
    olderHashesDropped = true;
    try {
      await target.deleteMany({
        functionId,
        sourceHash: { $ne: sourceHash },
        $or: [
          { computedAt: { $lt: settings.clock() - OTHER_VERSIONS_KEPT_MS } },
          { computedAt: { $exists: false }, leaseUntil: { $lt: new Date() } },
        ],
      });
    } catch (error) {
      olderHashesDropped = false;
      log.debug(`could not delete entries of older source hashes: ${String(error)}`);
    }
  };

  const waitForEntry = (key: string, options: WaitOptions): Promise<StoredEntry | undefined> =>
    run('wait', async (target) => {
      const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Infinity;
      let pause = FIRST_POLL_MS;
      while (true) {
        const document = (await target.findOne(identity(key), {
          projection: { ...ENTRY_FIELDS, owner: 1, leaseUntil: 1 },
        })) as CacheDocument | null;
        const leaseEnd = leaseEndOf(document);
        const now = Date.now();
        // Released, or the owner's lease ran out (it crashed): the engine reads or takes over.
        if (leaseEnd <= now) return readEntry(document);
        if (now >= deadline) return undefined;
        await sleep(Math.min(pause, deadline - now, leaseEnd - now + 1));
        pause = Math.min(pause * 1.5, LONGEST_POLL_MS);
      }
    });

  return {
    backend: 'mongo',
    sync: undefined,
    get: (key) =>
      run('read', async (target) => {
        const token = newToken();
        const now = new Date();
        // The document as it was before this read, which claimed it if it held no value and no live mark.
        const claimIfFree = async (): Promise<CacheDocument | null> =>
          (await target.findOneAndUpdate(identity(key), claimPipeline(token, now, leaseMs), {
            upsert: true,
            returnDocument: 'before',
            projection: { ...ENTRY_FIELDS, owner: 1, leaseUntil: 1 },
          })) as CacheDocument | null;
        // Two first reads of one key can collide on the unique index; the second then finds the document.
        const before = await claimIfFree().catch((error: unknown) => (isDuplicateKeyError(error) ? claimIfFree() : Promise.reject(error)));
        if (before?.value === undefined && leaseEndOf(before) <= now.getTime()) claimedOnRead.set(key, token);
        return readEntry(before);
      }),
    claim: (key) =>
      run('claim', async (target): Promise<ClaimResult> => {
        const claimedBefore = takeClaimedOnRead(key);
        if (claimedBefore !== undefined) return { claimed: true, token: claimedBefore };
        const token = newToken();
        try {
          // Matches only when nobody holds a live mark; otherwise the upsert
          // collides with the existing document on the unique index. The
          // entry comes back in the same round trip, in case another machine
          // stored it after this caller's read.
          const claimed = (await target.findOneAndUpdate(
            { ...identity(key), $or: [{ owner: null }, { leaseUntil: { $lte: new Date() } }] },
            { $set: { owner: token, leaseUntil: new Date(Date.now() + leaseMs) } },
            { upsert: true, projection: ENTRY_FIELDS },
          )) as CacheDocument | null;
          const current = entryOf(claimed);
          return current === undefined || current === 'unreadable' ? { claimed: true, token } : { claimed: true, token, current };
        } catch (error) {
          if (isDuplicateKeyError(error)) return { claimed: false };
          throw error;
        }
      }),
    renew: (key, token) =>
      run('renew a lease', async (target) => {
        await target.updateOne({ ...identity(key), owner: token }, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } });
      }),
    async store(key, entry, givenToken) {
      // A store without a claim (precache, or a computation that did not claim) still releases a claim made by a read.
      const token = givenToken ?? takeClaimedOnRead(key);
      if (givenToken !== undefined) claimedOnRead.delete(key);
      const bytes = serializeValue(entry.value, settings.entrySizeLimit);
      checkFitsInDocument(bytes);
      const fields = { value: bytes, computedAt: entry.computedAt };
      await run('write', async (target) => {
        const owned =
          token !== undefined &&
          (await target.updateOne({ ...identity(key), owner: token }, { $set: fields, ...CLEAR_MARK })).matchedCount === 1;
        // No claim, or another caller took over after our lease ran out: store the value and leave its mark alone.
        if (!owned) {
          const upsert = () => target.updateOne(identity(key), { $set: fields }, { upsert: true });
          // Two first upserts of one key can collide on the unique index; the second then finds the document.
          await upsert().catch((error: unknown) => (isDuplicateKeyError(error) ? upsert() : Promise.reject(error)));
        }
        await dropOlderSourceHashes(target);
      });
    },
    release: (key, token) =>
      run('release a mark', async (target) => {
        claimedOnRead.delete(key);
        await target.updateOne({ ...identity(key), owner: token }, CLEAR_MARK);
      }),
    waitForEntry,
    clear: () =>
      run('clear', async (target) => {
        await target.deleteMany({ functionId });
      }),
    clearBeingCalculated: () =>
      run('clear marks', async (target) => {
        await target.updateMany({ functionId, owner: { $ne: null } }, CLEAR_MARK);
      }),
    count: () => run('count', (target) => target.countDocuments({ functionId, sourceHash, value: { $exists: true } })),
    // Reads every entry of this version (a cleanup, once per cleanupInterval): staleness may depend on the value.
    deleteStale: (isStale) =>
      run('delete stale entries', async (target) => {
        const documents = (await target
          .find({ functionId, sourceHash, value: { $exists: true } }, { projection: { ...ENTRY_FIELDS, key: 1 } })
          .toArray()) as CacheDocument[];
        // Matching computedAt too spares an entry recomputed since it was read.
        const stale = documents.flatMap((document) => {
          const entry = entryOf(document);
          return entry === undefined || (entry !== 'unreadable' && !isStale(entry)) ? [] : [{ key: document.key, computedAt: document.computedAt }];
        });
        if (stale.length === 0) return 0;
        await target.deleteMany({ functionId, sourceHash, $or: stale });
        return stale.length;
      }),
    totalBytes: () =>
      run('measure', async (target) => {
        const documents = (await target
          .find({ functionId, sourceHash, value: { $exists: true } }, { projection: { _id: 0, value: 1 } })
          .toArray()) as CacheDocument[];
        return documents.reduce((total, document) => total + (valueBytesOf(document.value)?.length ?? 0), 0);
      }),
  };
}
