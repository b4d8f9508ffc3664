import { TABLE, CHANNEL } from './schema.js';

/**
 * The statements of the postgres backend, each one round trip. Named, so
 * that each pooled connection parses them once. Parameters $1, $2, $3 are
 * always the function id, source hash and key.
 */
const IDENTITY = 'function_id = $1 AND source_hash = $2 AND key = $3';

/** The entry of a key (and any mark, ignored): a hit's one round trip. */
export const GET = { name: 'cachier_get', text: `SELECT value, computed_at FROM ${TABLE} WHERE ${IDENTITY}` };

/**
 * Claims unless a live mark exists: inserts a marked row, or marks the
 * existing row whose mark is absent or ran out. Answers one row (with the
 * entry stored so far) when claimed, none when not. $4 token, $5 lease ms.
 */
export const CLAIM = {
  name: 'cachier_claim',
  text: `INSERT INTO ${TABLE} AS e (function_id, source_hash, key, owner, lease_until)
VALUES ($1, $2, $3, $4, clock_timestamp() + $5 * interval '1 millisecond')
ON CONFLICT (function_id, source_hash, key) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
WHERE e.owner IS NULL OR e.lease_until <= clock_timestamp()
RETURNING value, computed_at`,
};

/** $4 token, $5 lease ms. */
export const RENEW = {
  name: 'cachier_renew',
  text: `UPDATE ${TABLE} SET lease_until = clock_timestamp() + $5 * interval '1 millisecond' WHERE ${IDENTITY} AND owner = $4`,
};

/**
 * Stores the entry, clears the mark if $6 (token or null) still owns it, and
 * notifies waiters. $4 value bytes, $5 computedAt, $7 notification payload.
 */
export const STORE = {
  name: 'cachier_store',
  text: `WITH stored AS (
  INSERT INTO ${TABLE} AS e (function_id, source_hash, key, value, computed_at) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (function_id, source_hash, key) DO UPDATE SET value = excluded.value, computed_at = excluded.computed_at,
    owner = CASE WHEN e.owner = $6::text THEN NULL ELSE e.owner END,
    lease_until = CASE WHEN e.owner = $6::text THEN NULL ELSE e.lease_until END
  RETURNING 1)
SELECT pg_notify('${CHANNEL}', $7) FROM stored`,
};

/** {@link STORE} for a bounded cache: also sets `used_at` to $8 (epoch ms). */
export const STORE_BOUNDED = {
  name: 'cachier_store_bounded',
  text: `WITH stored AS (
  INSERT INTO ${TABLE} AS e (function_id, source_hash, key, value, computed_at, used_at) VALUES ($1, $2, $3, $4, $5, $8)
  ON CONFLICT (function_id, source_hash, key) DO UPDATE SET
    value = excluded.value, computed_at = excluded.computed_at, used_at = excluded.used_at,
    owner = CASE WHEN e.owner = $6::text THEN NULL ELSE e.owner END,
    lease_until = CASE WHEN e.owner = $6::text THEN NULL ELSE e.lease_until END
  RETURNING 1)
SELECT pg_notify('${CHANNEL}', $7) FROM stored`,
};

/** Clears the mark $4 owns and notifies waiters; $5 notification payload. */
export const RELEASE = {
  name: 'cachier_release',
  text: `WITH released AS (UPDATE ${TABLE} SET owner = NULL, lease_until = NULL WHERE ${IDENTITY} AND owner = $4 RETURNING 1)
SELECT pg_notify('${CHANNEL}', $5) FROM released`,
};

/** The entry once no live mark is held, and the milliseconds the live mark has left otherwise. */
export const LOOK = {
  name: 'cachier_look',
  text: `SELECT CASE WHEN live THEN NULL ELSE value END AS value, computed_at,
  CASE WHEN live THEN ceil(extract(epoch FROM lease_until - clock_timestamp()) * 1000) ELSE 0 END AS lease_left_ms
FROM (SELECT value, computed_at, lease_until, owner IS NOT NULL AND lease_until > clock_timestamp() AS live
      FROM ${TABLE} WHERE ${IDENTITY}) AS row`,
};

/** Removes a function's rows, every source hash. */
export const CLEAR = { name: 'cachier_clear', text: `DELETE FROM ${TABLE} WHERE function_id = $1` };

/** Clears a function's marks. */
export const CLEAR_MARKS = {
  name: 'cachier_clear_marks',
  text: `UPDATE ${TABLE} SET owner = NULL, lease_until = NULL WHERE function_id = $1 AND owner IS NOT NULL`,
};

/** The number of stored entries of a function's source hash. */
export const COUNT = {
  name: 'cachier_count',
  text: `SELECT count(*)::int AS entries FROM ${TABLE} WHERE function_id = $1 AND source_hash = $2 AND value IS NOT NULL`,
};

/** Deletes rows of other source hashes computed before $3 (epoch ms), and their abandoned marks. */
export const DROP_OLDER_HASHES = {
  name: 'cachier_drop_older_hashes',
  text: `DELETE FROM ${TABLE} WHERE function_id = $1 AND source_hash <> $2
  AND (computed_at < $3 OR (value IS NULL AND (lease_until IS NULL OR lease_until < clock_timestamp())))`,
};

/**
 * Removes the entry of a key, if $4 (computedAt, or null for any) still
 * matches: the row goes, or, while a live mark is on it, only its value (the
 * mark's owner stores as usual). Answers how many entries went (0 or 1).
 */
export const DELETE_ENTRY = {
  name: 'cachier_delete_entry',
  text: `WITH removed AS (
  DELETE FROM ${TABLE} WHERE ${IDENTITY} AND value IS NOT NULL AND ($4::float8 IS NULL OR computed_at = $4)
    AND (owner IS NULL OR lease_until <= statement_timestamp()) RETURNING 1),
emptied AS (
  UPDATE ${TABLE} SET value = NULL, computed_at = NULL WHERE ${IDENTITY} AND value IS NOT NULL AND ($4::float8 IS NULL OR computed_at = $4)
    AND owner IS NOT NULL AND lease_until > statement_timestamp() RETURNING 1)
SELECT (SELECT count(*) FROM removed)::int + (SELECT count(*) FROM emptied)::int AS deleted`,
};

/** The entries of a function's source hash, for a cleanup that decides staleness from the value. */
export const ENTRIES = {
  name: 'cachier_entries',
  text: `SELECT key, value, computed_at FROM ${TABLE} WHERE function_id = $1 AND source_hash = $2 AND value IS NOT NULL`,
};

/** The bytes the stored values of a function's source hash take. */
export const TOTAL_BYTES = {
  name: 'cachier_total_bytes',
  text: `SELECT coalesce(sum(octet_length(value)), 0)::float8 AS bytes FROM ${TABLE} WHERE function_id = $1 AND source_hash = $2 AND value IS NOT NULL`,
};

/**
 * A bounded cache's read: the entry, and its `used_at` set to $4 (epoch ms)
 * when older than $5 ms, so a hot key costs at most one write per $5 ms.
 */
export const GET_AND_TOUCH = {
  name: 'cachier_get_and_touch',
  text: `WITH touched AS (
  UPDATE ${TABLE} SET used_at = $4
  WHERE ${IDENTITY} AND value IS NOT NULL AND (used_at IS NULL OR used_at < $4::float8 - $5::float8) RETURNING 1)
SELECT value, computed_at FROM ${TABLE} WHERE ${IDENTITY}`,
};

/**
 * After a bounded cache's store: ranks the version's entries (the stored key
 * $3 first, then those under a live mark, then by last use, newest first)
 * and deletes those ranked beyond $4 entries or $5 bytes, never the stored
 * key nor one under a live mark. Answers how many it deleted and the entries
 * and bytes left.
 */
export const EVICT = {
  name: 'cachier_evict',
  text: `WITH ranked AS (
  SELECT key, octet_length(value) AS bytes,
    row_number() OVER newest_first AS position, sum(octet_length(value)) OVER newest_first AS bytes_so_far
  FROM ${TABLE} WHERE function_id = $1 AND source_hash = $2 AND value IS NOT NULL
  WINDOW newest_first AS (
    ORDER BY key = $3 DESC, (owner IS NOT NULL AND lease_until > clock_timestamp()) DESC, used_at DESC NULLS LAST, computed_at DESC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
evicted AS (
  DELETE FROM ${TABLE} AS e USING ranked AS r
  WHERE e.function_id = $1 AND e.source_hash = $2 AND e.key = r.key AND e.key <> $3
    AND (r.position > $4::float8 OR r.bytes_so_far > $5::float8)
    AND (e.owner IS NULL OR e.lease_until <= clock_timestamp())
  RETURNING r.bytes)
SELECT (SELECT count(*) FROM evicted)::int AS evicted,
  ((SELECT count(*) FROM ranked) - (SELECT count(*) FROM evicted))::int AS entries,
  ((SELECT coalesce(sum(bytes), 0) FROM ranked) - (SELECT coalesce(sum(bytes), 0) FROM evicted))::float8 AS bytes`,
};
