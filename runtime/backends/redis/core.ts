import type { CacheCore, ClaimResult, CoreSettings, StoredEntry } from '../../core.js';
import { serializeValue } from '../../serialization.js';
import { newClaimToken } from '../shared/claims.js';
import { lazyClient, oncePerProcess, runOperation } from '../shared/connection.js';
import { claimedWith, readableEntry } from '../shared/entries.js';
import { waitWhileMarked } from '../shared/waiting.js';
import { asRedisClient, scan, type RedisArgument, type RedisClient } from './client.js';
import { channelsOf } from './channels.js';
import { decodeEntry, encodeEntry, ENTRY_HEADER_BYTES, escapeGlob } from './entries.js';
import { boundsKeys, entryKey as entryKeyOf, functionPrefix, markKey as markKeyOf, versionPrefix } from './keys.js';
import { CLAIM, CLEAR_MARK, DELETE_IF_UNCHANGED, GET_AND_TOUCH, LOOK, RELEASE, RENEW, STORE, STORE_BOUNDED, UNINDEX } from './scripts.js';

/** Entries of another source hash are left to expire this long after a new hash first stores. */
const OTHER_VERSIONS_KEPT_MS = 24 * 60 * 60 * 1000;

/** Stale entries stay this long at least (and as long as `staleAfter`) before Redis evicts them, so `nextTime` can serve them. */
const SHORTEST_MARGIN_MS = 60_000;

/** Entries read or measured at once by cleanups and sizes. */
const BATCH = 500;

const HINT =
  'Check that the server is reachable; give the ioredis client maxRetriesPerRequest (and commandTimeout) so that an unreachable server fails fast';

/**
 * The `redis` backend. Key layout (see `keys.ts`), for function id F and
 * source hash H (both URI-encoded) and key K:
 *
 * ```
 * cachier:{F}:H:e:K   entry: 8-byte computedAt + node:v8 value, PX 2 x its shelf life (at least shelf life + 1 min)
 * cachier:{F}:H:m:K   being-calculated mark: the owner's token, PX lease; also the channel that wakes waiters
 * ```
 *
 * Round trips: a hit is one GET; a miss is a GET, an EVAL that claims the key
 * (SET NX PX, answering any entry stored meanwhile) and an EVAL that stores,
 * clears the mark and publishes. Serves async functions only.
 *
 * A bounded cache (`maxEntries`, `maxBytes`) keeps its keys' last use in a
 * sorted set, exact to the millisecond: a hit is one EVAL (GET and ZADD) and
 * a store evicts in the same EVAL as it stores (see `STORE_BOUNDED`).
 */
export function createRedisCore(settings: CoreSettings): CacheCore {
  const { functionId, sourceHash, leaseMs, log } = settings;
  const client = lazyClient(settings.connection, asRedisClient);
  const base = functionPrefix(functionId);
  const version = versionPrefix(functionId, sourceHash);
  const entryKey = (key: string) => entryKeyOf(version, key);
  const markKey = (key: string) => markKeyOf(version, key);
  const staleAfterMs = settings.staleAfterMs ?? Infinity;
  // Per entry, since a staleAfter function gives each value its own shelf life.
  const ttlOf = (value: unknown): number => {
    const shelfLifeMs = settings.shelfLifeOf?.(value) ?? staleAfterMs;
    return Number.isFinite(shelfLifeMs) ? Math.ceil(shelfLifeMs + Math.max(shelfLifeMs, SHORTEST_MARGIN_MS)) : 0;
  };

  const run = <T>(what: string, operation: (redis: RedisClient) => Promise<T>): Promise<T> =>
    runOperation('Redis', what, HINT, async () => operation(await client()));

  const readEntry = (stored: unknown): StoredEntry | undefined => readableEntry(decodeEntry(stored), 'Redis', log);

  // Entries of another source hash are never read. So that entries without a
  // TTL do not pile up, the first store of each process gives them at most a
  // day to live (PEXPIRE ... LT never lengthens a shorter TTL).
  const sweepOlderSourceHashes = oncePerProcess(
    async (redis: RedisClient) => {
      const older = (await scan(redis, `${escapeGlob(base)}*`)).filter((name) => !name.startsWith(version));
      await Promise.all(older.map((name) => redis.call('PEXPIRE', name, OTHER_VERSIONS_KEPT_MS, 'LT')));
    },
    (error) => log.debug(`could not expire entries of older source hashes: ${String(error)}`),
  );

  /** Runs `each` on the entry keys of this version, a batch at a time (the commands of a batch are pipelined on the connection). */
  const eachEntryBatch = async (redis: RedisClient, each: (name: string) => Promise<void>): Promise<void> => {
    const names = await scan(redis, `${escapeGlob(version)}e:*`);
    for (let start = 0; start < names.length; start += BATCH) await Promise.all(names.slice(start, start + BATCH).map(each));
  };

  const { bounds } = settings;
  const indexes = boundsKeys(version);
  const unindex = async (redis: RedisClient, key: string): Promise<void> => {
    if (bounds) await evaluate(redis, UNINDEX, indexes, [key]);
  };

  const evaluate = (redis: RedisClient, script: string, keys: string[], args: RedisArgument[]): Promise<unknown> =>
    redis.callBuffer('EVAL', script, keys.length, ...keys, ...args);

  return {
    backend: 'redis',
    sync: undefined,
    get: (key) =>
      run('read', async (redis) => {
        if (!bounds) return readEntry(await redis.callBuffer('GET', entryKey(key)));
        return readEntry(await evaluate(redis, GET_AND_TOUCH, [entryKey(key), indexes[0]], [Date.now(), key]));
      }),
    claim: (key) =>
      run('claim', async (redis): Promise<ClaimResult> => {
        const token = newClaimToken();
        const [claimed, stored] = (await evaluate(redis, CLAIM, [entryKey(key), markKey(key)], [token, leaseMs])) as [number, unknown];
        if (claimed !== 1) return { claimed: false };
        return claimedWith(token, decodeEntry(stored));
      }),
    renew: (key, token) =>
      run('renew a lease', async (redis) => {
        await evaluate(redis, RENEW, [markKey(key)], [token, leaseMs]);
      }),
    async store(key, entry, token) {
      const bytes = encodeEntry(entry.computedAt, serializeValue(entry.value, settings.entrySizeLimit));
      return run('write', async (redis) => {
        const keys = [entryKey(key), markKey(key)];
        const args = [bytes, ttlOf(entry.value), token ?? ''];
        const limits = bounds && [bounds.maxEntries ?? -1, bounds.maxBytes ?? -1];
        const evicted = limits
          ? await evaluate(redis, STORE_BOUNDED, [...keys, ...indexes], [...args, key, Date.now(), ...limits, version])
          : await evaluate(redis, STORE, keys, args);
        await sweepOlderSourceHashes(redis);
        return bounds ? Number(evicted) : 0;
      });
    },
    release: (key, token) =>
      run('release a mark', async (redis) => {
        await evaluate(redis, RELEASE, [markKey(key)], [token]);
      }),
    waitForEntry: (key, options) =>
      run('wait', (redis) =>
        waitWhileMarked(
          options,
          async () => {
            const [leaseLeftMs, stored] = (await evaluate(redis, LOOK, [entryKey(key), markKey(key)], [])) as [number, unknown];
            return leaseLeftMs === -2
              ? { leaseLeftMs: 0, entry: readEntry(stored) }
              : { leaseLeftMs: leaseLeftMs === -1 ? leaseMs : leaseLeftMs };
          },
          { source: channelsOf(redis, log), name: markKey(key) },
        ),
      ),
    clear: () =>
      run('clear', async (redis) => {
        const entries = [...(await scan(redis, `${escapeGlob(base)}*:e:*`)), ...(await scan(redis, `${escapeGlob(base)}*:[ust]`))];
        for (let start = 0; start < entries.length; start += 500) await redis.call('UNLINK', ...entries.slice(start, start + 500));
      }),
    clearBeingCalculated: () =>
      run('clear marks', async (redis) => {
        const marks = await scan(redis, `${escapeGlob(base)}*:m:*`);
        for (const mark of marks) await evaluate(redis, CLEAR_MARK, [mark], []);
      }),
    count: () => run('count', async (redis) => (await scan(redis, `${escapeGlob(version)}e:*`)).length),
    delete: (key) =>
      run('delete', async (redis) => {
        const deleted = Number(await redis.call('DEL', entryKey(key))) > 0;
        await unindex(redis, key);
        return deleted;
      }),
    totalBytes: () =>
      run('measure', async (redis) => {
        let total = 0;
        await eachEntryBatch(redis, async (name) => {
          const length = Number(await redis.call('STRLEN', name));
          total += Math.max(0, length - ENTRY_HEADER_BYTES);
        });
        return total;
      }),
    // Reads every entry of this version (a cleanup, once per cleanupInterval): staleness may depend on the value.
    deleteStale: (isStale) =>
      run('delete stale entries', async (redis) => {
        let deleted = 0;
        await eachEntryBatch(redis, async (name) => {
          const stored = await redis.callBuffer('GET', name);
          const entry = decodeEntry(stored);
          if (entry === undefined || (entry !== 'unreadable' && !isStale(entry))) return;
          const header = (stored as Buffer).subarray(0, ENTRY_HEADER_BYTES);
          const removed = Number(await evaluate(redis, DELETE_IF_UNCHANGED, [name], [header]));
          if (removed > 0) await unindex(redis, name.slice(version.length + 'e:'.length));
          deleted += removed;
        });
        return deleted;
      }),
  };
}
