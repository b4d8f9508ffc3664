import type { CacheCore, ClaimResult, CoreSettings, StoredEntry, WaitOptions } from '../../core.js';
import { InvalidOptionError } from '../../errors.js';
import { serializeValue } from '../../serialization.js';
import { asMongoCollection, ensureIndexes, type MongoCollection } from './collection.js';
import { newClaimToken } from '../shared/claims.js';
import { lazyClient, oncePerProcess, runOperation } from '../shared/connection.js';
import { claimedWith, readableEntry } from '../shared/entries.js';
import { waitWhileMarked } from '../shared/waiting.js';
import { BoundsTally, EVICT_DOWN_TO, RECENCY_RESOLUTION_MS, bytesOf, victimsOf } from '../shared/bounds.js';
import { checkFitsInDocument, claimUnlessFreshOrMarked, entryOf, leaseEndOf, valueBytesOf, type CacheDocument } from './documents.js';

const ENTRY_FIELDS = { _id: 0, value: 1, computedAt: 1, usedAt: 1 } as const;
const MARKED_ENTRY_FIELDS = { ...ENTRY_FIELDS, owner: 1, leaseUntil: 1 } as const;
const EVICTION_FIELDS = { _id: 0, key: 1, usedAt: 1, bytes: 1, owner: 1, leaseUntil: 1 } as const;
const CLEAR_MARK = { $unset: { owner: '', leaseUntil: '' } } as const;

function isDuplicateKeyError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}

/** How long entries of another source hash are kept after they were computed. */
const OTHER_VERSIONS_KEPT_MS = 24 * 60 * 60 * 1000;

const HINT =
  'Check that the server is reachable and the collection writable; set serverSelectionTimeoutMS on the MongoClient so that an unreachable server fails fast';

/**
 * The `mongo` backend: one document per (function id, source hash, key) in
 * the collection the `mongetter` returns, so every machine using that
 * collection shares the cache. Round trips: a hit is one; a miss is two, a
 * `findAndModify` that reads and claims the key and an `update` that stores
 * the value and clears the claim. The first round trip of a call is a plain
 * `find` while this function's calls hit, and the claiming `findAndModify`
 * after a call missed (so a miss that follows hits costs one more, a
 * separate `find`). Serves async functions only.
 *
 * A bounded cache (`maxEntries`, `maxBytes`) keeps each entry's last use in
 * `usedAt` and its size in `bytes`; a hit writes `usedAt` when it is older
 * than a second (one more round trip, at most once a second per key), and
 * a store looks at the version's entries and evicts when this process's
 * tally says the cache may be over a bound (see `shared/bounds.ts`).
 */
export function createMongoCore(settings: CoreSettings): CacheCore {
  const { functionId, sourceHash, leaseMs, log } = settings;
  const mongetter = settings.mongetter;
  if (!mongetter)
    throw new InvalidOptionError('mongetter', `backend 'mongo' needs a mongetter: a function returning the MongoDB collection to use`);
  const identity = (key: string) => ({ functionId, sourceHash, key });

  // A failed mongetter (e.g. the server is down at connect time) is retried on the next call.
  const collection = lazyClient(mongetter, asMongoCollection);
  const ready = async (): Promise<MongoCollection> => {
    const resolved = await collection();
    await ensureIndexes(resolved);
    return resolved;
  };

  /** Runs one operation against the collection, turning driver failures into a `BackendError`. */
  const run = <T>(what: string, operation: (collection: MongoCollection) => Promise<T>): Promise<T> =>
    runOperation('MongoDB', what, HINT, async () => operation(await ready()));

  const readEntry = (document: CacheDocument | null): StoredEntry | undefined => readableEntry(entryOf(document), 'MongoDB', log);

  const { bounds } = settings;
  const tally = bounds && new BoundsTally(bounds);
  /** A bounded cache's hit refreshes the entry's recency when older than {@link RECENCY_RESOLUTION_MS}. */
  const touchIfDue = async (target: MongoCollection, key: string, document: CacheDocument | null): Promise<void> => {
    if (!bounds || document?.value === undefined) return;
    const now = Date.now();
    if (typeof document.usedAt === 'number' && now - document.usedAt <= RECENCY_RESOLUTION_MS) return;
    await target.updateOne({ ...identity(key), value: { $exists: true } }, { $set: { usedAt: now } });
  };
  /** Looks at the version's entries and evicts the least recently used down to {@link EVICT_DOWN_TO} of the bounds. */
  const evictBeyondBounds = async (target: MongoCollection, kept: string): Promise<number> => {
    if (!bounds || !tally) return 0;
    tally.lookStarting();
    const now = Date.now();
    const documents = (await target
      .find({ functionId, sourceHash, value: { $exists: true } }, { projection: EVICTION_FIELDS })
      .toArray()) as CacheDocument[];
    const candidates = documents.map((document) => ({
      name: document.key,
      usedAt: typeof document.usedAt === 'number' ? document.usedAt : 0,
      bytes: typeof document.bytes === 'number' ? document.bytes : 0,
      keep: document.key === kept || leaseEndOf(document) > now,
    }));
    const victims = victimsOf(candidates, bounds, EVICT_DOWN_TO);
    let evicted = 0;
    if (victims.length > 0) {
      // A victim claimed since the look keeps its document: deleting it would delete the mark too.
      const unmarked = { $or: [{ owner: null }, { leaseUntil: { $lte: new Date() } }] };
      const keys = victims.map((victim) => victim.name);
      evicted = (await target.deleteMany({ functionId, sourceHash, key: { $in: keys }, ...unmarked })).deletedCount;
    }
    tally.looked(candidates.length - evicted, bytesOf(candidates) - bytesOf(victims));
    return evicted;
  };

  // Entries computed before this are stale for the function's staleAfter. A
  // staleAfter the core cannot know (a function of the value, a per-call
  // override) only costs a round trip: the engine asks for a claim itself.
  const staleAfterMs = settings.staleAfterMs ?? Infinity;
  const freshSince = (): number => (Number.isFinite(staleAfterMs) ? settings.clock() - staleAfterMs : -Infinity);
  const misses = (entry: StoredEntry | undefined): boolean => entry === undefined || entry.computedAt < freshSince();

  // Claim-on-read: after a call of this function missed, the next read also
  // claims the key in the same round trip (findAndModify), and hands the
  // outcome to the engine's claim that follows a miss; while calls hit, reads
  // stay plain finds, which any server member can answer.
  let lastReadMissed = false;
  const handedClaims = new Map<string, ClaimResult>();
  const handOver = (key: string, outcome: ClaimResult): void => {
    handedClaims.set(key, outcome);
    // The engine asks for the claim in the microtasks that follow the read. A
    // claim it did not take (it served the entry after all, e.g. with a longer
    // per-call staleAfter) is released, so that nobody waits for it.
    setImmediate(() => {
      if (handedClaims.get(key) !== outcome) return;
      handedClaims.delete(key);
      if (outcome.claimed)
        release(key, outcome.token).catch((error: unknown) => log.debug(`could not release an unused claim: ${String(error)}`));
    });
  };

  const claimingRead = async (target: MongoCollection, key: string): Promise<StoredEntry | undefined> => {
    const token = newClaimToken();
    const now = new Date();
    const update = claimUnlessFreshOrMarked(token, now, new Date(now.getTime() + leaseMs), freshSince());
    const attempt = () =>
      target.findOneAndUpdate(identity(key), update, { upsert: true, returnDocument: 'after', projection: MARKED_ENTRY_FIELDS });
    // Two first upserts of one key can collide on the unique index where the
    // server does not retry them itself; the second then finds the document.
    const document = (await attempt().catch((error: unknown) =>
      isDuplicateKeyError(error) ? attempt() : Promise.reject(error),
    )) as CacheDocument | null;
    const entry = readEntry(document);
    lastReadMissed = misses(entry);
    if (entry && !lastReadMissed) await touchIfDue(target, key, document);
    if (document?.owner === token) handOver(key, { claimed: true, token });
    else if (leaseEndOf(document) > now.getTime()) handOver(key, { claimed: false });
    return entry;
  };

  const release = (key: string, token: string): Promise<void> =>
    run('release a mark', async (target) => {
      await target.updateOne({ ...identity(key), owner: token }, CLEAR_MARK);
    });

  // Documents of another source hash are never served. So that they do not
  // pile up, the first store of each process deletes those not computed for a
  // day (and abandoned marks): the same rule as the file backend, which lets
  // two deployments of different code share a collection without erasing
  // each other's fresh entries.
  const dropOlderSourceHashes = oncePerProcess(
    (target: MongoCollection) =>
      target.deleteMany({
        functionId,
        sourceHash: { $ne: sourceHash },
        $or: [
          { computedAt: { $lt: settings.clock() - OTHER_VERSIONS_KEPT_MS } },
          { computedAt: { $exists: false }, leaseUntil: { $lt: new Date() } },
        ],
      }),
    (error) => log.debug(`could not delete entries of older source hashes: ${String(error)}`),
  );

  const waitForEntry = (key: string, options: WaitOptions): Promise<StoredEntry | undefined> =>
    run('wait', (target) =>
      waitWhileMarked(options, async () => {
        const document = (await target.findOne(identity(key), { projection: MARKED_ENTRY_FIELDS })) as CacheDocument | null;
        // Released, or the owner's lease ran out (it crashed): the engine reads or takes over.
        const leaseLeftMs = leaseEndOf(document) - Date.now();
        return leaseLeftMs > 0 ? { leaseLeftMs } : { leaseLeftMs: 0, entry: readEntry(document) };
      }),
    );

  return {
    backend: 'mongo',
    sync: undefined,
    get: (key) =>
      run('read', async (target) => {
        // While a claim handed over by a read of this key waits for the engine, other reads of it only read.
        if (lastReadMissed && !handedClaims.has(key)) return claimingRead(target, key);
        const document = (await target.findOne(identity(key), { projection: ENTRY_FIELDS })) as CacheDocument | null;
        const entry = readEntry(document);
        lastReadMissed = misses(entry);
        if (entry) await touchIfDue(target, key, document);
        return entry;
      }),
    claim: (key) => {
      const handed = handedClaims.get(key);
      if (handed) {
        handedClaims.delete(key);
        return handed;
      }
      return run('claim', async (target): Promise<ClaimResult> => {
        const token = newClaimToken();
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
          return claimedWith(token, entryOf(claimed));
        } catch (error) {
          if (isDuplicateKeyError(error)) return { claimed: false };
          throw error;
        }
      });
    },
    renew: (key, token) =>
      run('renew a lease', async (target) => {
        await target.updateOne({ ...identity(key), owner: token }, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } });
      }),
    async store(key, entry, token) {
      const bytes = serializeValue(entry.value, settings.entrySizeLimit);
      checkFitsInDocument(bytes);
      const fields = { value: bytes, computedAt: entry.computedAt, ...(bounds && { usedAt: Date.now(), bytes: bytes.length }) };
      return run('write', async (target) => {
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
        return tally?.stored(bytes.length) ? evictBeyondBounds(target, key) : 0;
      });
    },
    release,
    waitForEntry,
    clear: () =>
      run('clear', async (target) => {
        await target.deleteMany({ functionId });
        tally?.forget();
      }),
    clearBeingCalculated: () =>
      run('clear marks', async (target) => {
        await target.updateMany({ functionId, owner: { $ne: null } }, CLEAR_MARK);
      }),
    count: () => run('count', (target) => target.countDocuments({ functionId, sourceHash, value: { $exists: true } })),
    // The document keeps any mark on the key: its owner stores as usual.
    delete: (key) =>
      run(
        'delete',
        async (target) =>
          (await target.updateOne({ ...identity(key), value: { $exists: true } }, { $unset: { value: '', computedAt: '' } })).matchedCount >
          0,
      ),
    // Reads every entry of this version (a cleanup, once per cleanupInterval): staleness may depend on the value.
    deleteStale: (isStale) =>
      run('delete stale entries', async (target) => {
        const documents = (await target
          .find({ functionId, sourceHash, value: { $exists: true } }, { projection: { ...ENTRY_FIELDS, key: 1 } })
          .toArray()) as CacheDocument[];
        // Matching computedAt too spares an entry recomputed since it was read.
        const stale = documents.flatMap((document) => {
          const entry = entryOf(document);
          return entry === undefined || (entry !== 'unreadable' && !isStale(entry))
            ? []
            : [{ key: document.key, computedAt: document.computedAt }];
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
