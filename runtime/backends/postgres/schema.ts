import type { PostgresPool } from './pool.js';

/** The table every function's cache lives in. */
export const TABLE = 'cachier_entries';

/** The channel `pg_notify` wakes waiters on; the payload is {@link notificationOf} the key. */
export const CHANNEL = 'cachier_entries';

/**
 * One row per (function id, source hash, key): `value` and `computed_at` once
 * stored, `owner` and `lease_until` while a caller computes it. Leases are
 * measured by the server's clock, so machines with skewed clocks agree.
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  function_id text NOT NULL,
  source_hash text NOT NULL,
  key text NOT NULL,
  value bytea,
  computed_at double precision,
  owner text,
  lease_until timestamptz,
  PRIMARY KEY (function_id, source_hash, key)
)`;

/** SQLSTATEs of two sessions racing to create the same table. */
const CREATED_CONCURRENTLY = new Set(['23505', '42P07']);

// One creation per pool and process, shared by every function cached in it;
// forgotten on failure so the next call retries.
const tablesReady = new WeakMap<PostgresPool, Promise<void>>();

/** Creates the table on first use of `pool` in this process. */
export function ensureTable(pool: PostgresPool): Promise<void> {
  let ready = tablesReady.get(pool);
  if (!ready) {
    ready = pool.query({ text: CREATE_TABLE }).then(
      () => undefined,
      (error: unknown) => {
        if (CREATED_CONCURRENTLY.has(String((error as { code?: unknown } | null)?.code))) return;
        throw error;
      },
    );
    tablesReady.set(pool, ready);
    ready.catch(() => tablesReady.delete(pool));
  }
  return ready;
}
