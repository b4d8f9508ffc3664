import type { PostgresPool } from './pool.js';

/** The table every function's cache lives in. */
export const TABLE = 'cachier_entries';

/** The channel `pg_notify` wakes waiters on; the payload is {@link notificationOf} the key. */
export const CHANNEL = 'cachier_entries';

/**
 * One row per (function id, source hash, key): `value` and `computed_at` once
 * stored, `owner` and `lease_until` while a caller computes it. Leases are
 * measured by the server's clock, so machines with skewed clocks agree.
 * `used_at` (epoch ms, written by bounded caches only) is when the entry was
 * last stored or hit, for evicting the least recently used.
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  function_id text NOT NULL,
  source_hash text NOT NULL,
  key text NOT NULL,
  value bytea,
  computed_at double precision,
  owner text,
  lease_until timestamptz,
  used_at double precision,
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

/** Adds `used_at` to a table created before bounded caches existed; a no-op on a table that has it. */
const ADD_USED_AT = `ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS used_at double precision`;

const usedAtReady = new WeakMap<PostgresPool, Promise<void>>();

/** Makes sure the table has `used_at`, once per pool and process (bounded caches only). */
export function ensureUsedAt(pool: PostgresPool): Promise<void> {
  let ready = usedAtReady.get(pool);
  if (!ready) {
    ready = ensureTable(pool).then(async () => {
      await pool.query({ text: ADD_USED_AT });
    });
    usedAtReady.set(pool, ready);
    ready.catch(() => usedAtReady.delete(pool));
  }
  return ready;
}
