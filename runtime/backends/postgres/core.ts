import { createHash } from 'node:crypto';
import type { CacheCore, ClaimResult, CoreSettings, StoredEntry } from '../../core.js';
import { deserializeValue, serializeValue } from '../../serialization.js';
import { newClaimToken } from '../shared/claims.js';
import { lazyClient, oncePerProcess, runOperation } from '../shared/connection.js';
import { claimedWith, readableEntry } from '../shared/entries.js';
import { waitWhileMarked } from '../shared/waiting.js';
import { listenerOf } from './listener.js';
import { asPostgresPool, type PostgresPool, type PostgresQuery } from './pool.js';
import { ensureTable, ensureUsedAt } from './schema.js';
import { BoundsTally, EVICT_DOWN_TO, RECENCY_RESOLUTION_MS } from '../shared/bounds.js';
import * as SQL from './statements.js';

/** How long rows of another source hash are kept after they were computed. */
const OTHER_VERSIONS_KEPT_MS = 24 * 60 * 60 * 1000;

const HINT =
  'Check that the server is reachable and the user may create and write the table cachier_entries; ' +
  'give the pg Pool connectionTimeoutMillis (and query_timeout) so that an unreachable server fails fast';

/** The entry of a row, `undefined` for none, `'unreadable'` for a value that does not decode. */
export function entryOf(row: Record<string, unknown> | undefined): StoredEntry | undefined | 'unreadable' {
  if (!row || row['value'] === null || row['value'] === undefined) return undefined;
  const bytes = row['value'];
  const computedAt = row['computed_at'];
  if (!(bytes instanceof Uint8Array) || typeof computedAt !== 'number') return 'unreadable';
  try {
    return { value: deserializeValue(bytes), computedAt };
  } catch {
    return 'unreadable';
  }
}

/**
 * The `postgres` backend: one row per (function id, source hash, key) in the
 * table `cachier_entries`, created on first use (schema in
 * `postgres/schema.ts` and docs/postgres.md). Round trips: a hit is one SELECT; a
 * miss is a SELECT, an INSERT ... ON CONFLICT that claims the key, and an
 * INSERT ... ON CONFLICT that stores the value, clears the claim and
 * notifies waiters (LISTEN/NOTIFY, with polling as the fallback). Serves
 * async functions only.
 *
 * A bounded cache (`maxEntries`, `maxBytes`) keeps each entry's last use in
 * `used_at` (a hit writes it when older than a second, in the same
 * statement as the read) and, when this process's tally says the cache may
 * be over a bound, evicts in one more statement (see `shared/bounds.ts`).
 */
export function createPostgresCore(settings: CoreSettings): CacheCore {
  const { functionId, sourceHash, leaseMs, log } = settings;
  const pool = lazyClient(settings.connection, asPostgresPool);
  const identity = (key: string): unknown[] => [functionId, sourceHash, key];
  // Notifications name a key by a digest: payloads are limited to 8000 bytes, ids are not.
  const notification = (key: string): string => createHash('sha1').update(`${functionId}\n${sourceHash}\n${key}`).digest('base64url');

  const { bounds } = settings;
  const tally = bounds && new BoundsTally(bounds);
  const run = <T>(what: string, operation: (pool: PostgresPool) => Promise<T>): Promise<T> =>
    runOperation('PostgreSQL', what, HINT, async () => {
      const ready = await pool();
      await (bounds ? ensureUsedAt(ready) : ensureTable(ready));
      return operation(ready);
    });
  const query = (target: PostgresPool, statement: Omit<PostgresQuery, 'values'>, values: unknown[]) =>
    target.query({ ...statement, values });

  const readEntry = (row: Record<string, unknown> | undefined): StoredEntry | undefined => readableEntry(entryOf(row), 'PostgreSQL', log);

  // Rows of another source hash are never served. So that they do not pile
  // up, the first store of each process deletes those not computed for a day:
  // the rule of the file and mongo backends.
  const dropOlderSourceHashes = oncePerProcess(
    (target: PostgresPool) => query(target, SQL.DROP_OLDER_HASHES, [functionId, sourceHash, settings.clock() - OTHER_VERSIONS_KEPT_MS]),
    (error) => log.debug(`could not delete rows of older source hashes: ${String(error)}`),
  );

  return {
    backend: 'postgres',
    sync: undefined,
    get: (key) =>
      run('read', async (target) => {
        const { rows } = bounds
          ? await query(target, SQL.GET_AND_TOUCH, [...identity(key), Date.now(), RECENCY_RESOLUTION_MS])
          : await query(target, SQL.GET, identity(key));
        return readEntry(rows[0]);
      }),
    claim: (key) =>
      run('claim', async (target): Promise<ClaimResult> => {
        const token = newClaimToken();
        const { rows } = await query(target, SQL.CLAIM, [...identity(key), token, leaseMs]);
        if (rows.length === 0) return { claimed: false };
        return claimedWith(token, entryOf(rows[0]));
      }),
    renew: (key, token) =>
      run('renew a lease', async (target) => {
        await query(target, SQL.RENEW, [...identity(key), token, leaseMs]);
      }),
    async store(key, entry, token) {
      const bytes = serializeValue(entry.value, settings.entrySizeLimit);
      return run('write', async (target) => {
        const values = [...identity(key), bytes, entry.computedAt, token ?? null, notification(key)];
        await (bounds ? query(target, SQL.STORE_BOUNDED, [...values, Date.now()]) : query(target, SQL.STORE, values));
        await dropOlderSourceHashes(target);
        if (!bounds || !tally?.stored(bytes.length)) return 0;
        tally.lookStarting();
        const targets = [(bounds.maxEntries ?? Infinity) * EVICT_DOWN_TO, (bounds.maxBytes ?? Infinity) * EVICT_DOWN_TO].map(Math.floor);
        const row = (await query(target, SQL.EVICT, [...identity(key), ...targets])).rows[0];
        tally.looked(Number(row?.['entries'] ?? 0), Number(row?.['bytes'] ?? 0));
        return Number(row?.['evicted'] ?? 0);
      });
    },
    release: (key, token) =>
      run('release a mark', async (target) => {
        await query(target, SQL.RELEASE, [...identity(key), token, notification(key)]);
      }),
    waitForEntry: (key, options) =>
      run('wait', (target) =>
        waitWhileMarked(
          options,
          async () => {
            const row = (await query(target, SQL.LOOK, identity(key))).rows[0];
            const leaseLeftMs = Number(row?.['lease_left_ms'] ?? 0);
            return leaseLeftMs > 0 ? { leaseLeftMs } : { leaseLeftMs: 0, entry: readEntry(row) };
          },
          { source: listenerOf(target, log), name: notification(key) },
        ),
      ),
    clear: () =>
      run('clear', async (target) => {
        await query(target, SQL.CLEAR, [functionId]);
        tally?.forget();
      }),
    clearBeingCalculated: () =>
      run('clear marks', async (target) => {
        await query(target, SQL.CLEAR_MARKS, [functionId]);
      }),
    count: () =>
      run('count', async (target) => Number((await query(target, SQL.COUNT, [functionId, sourceHash])).rows[0]?.['entries'] ?? 0)),
    delete: (key) =>
      run('delete', async (target) => Number((await query(target, SQL.DELETE_ENTRY, [...identity(key), null])).rows[0]?.['deleted']) > 0),
    totalBytes: () =>
      run('measure', async (target) => Number((await query(target, SQL.TOTAL_BYTES, [functionId, sourceHash])).rows[0]?.['bytes'] ?? 0)),
    // Reads every entry of this version (a cleanup, once per cleanupInterval): staleness may depend on the value.
    deleteStale: (isStale) =>
      run('delete stale entries', async (target) => {
        let deleted = 0;
        for (const row of (await query(target, SQL.ENTRIES, [functionId, sourceHash])).rows) {
          const entry = entryOf(row);
          if (entry === undefined || (entry !== 'unreadable' && !isStale(entry))) continue;
          // Matching computedAt too spares an entry recomputed since it was read.
          const computedAt = typeof row['computed_at'] === 'number' ? row['computed_at'] : null;
          const { rows } = await query(target, SQL.DELETE_ENTRY, [functionId, sourceHash, row['key'], computedAt]);
          deleted += Number(rows[0]?.['deleted'] ?? 0);
        }
        return deleted;
      }),
  };
}
