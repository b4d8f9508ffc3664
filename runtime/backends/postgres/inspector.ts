import { lazyClient } from '../shared/connection.js';
import { loadPeer, type CacheInspector, type InspectorOptions } from '../shared/inspection.js';
import { recordInspector, type StoredRecord } from '../shared/record-inspector.js';
import { entryOf } from './core.js';
import { asPostgresPool, type PostgresPool } from './pool.js';
import { TABLE } from './schema.js';

/*
 * The statements of the postgres inspector, on the table of `schema.ts`.
 * $1, $2, $3 are the function id, source hash and key, as in `statements.ts`.
 */
const IDENTITY = 'function_id = $1 AND source_hash = $2 AND key = $3';

/** Every row without its value: sizes, times, and what is left of each lease by the server's clock. */
const LIST = `SELECT function_id, source_hash, key, octet_length(value) AS bytes, computed_at, owner,
  ceil(extract(epoch FROM lease_until - clock_timestamp()) * 1000) AS lease_left_ms
FROM ${TABLE}`;

/** The entries of a function leave; rows being computed keep their mark and lose their value. */
const CLEAR_UNMARKED = `DELETE FROM ${TABLE} WHERE function_id = $1 AND owner IS NULL`;
const CLEAR_MARKED = `UPDATE ${TABLE} SET value = NULL, computed_at = NULL WHERE function_id = $1 AND owner IS NOT NULL AND value IS NOT NULL`;
const DROP_VERSION = `DELETE FROM ${TABLE} WHERE function_id = $1 AND source_hash = $2`;
/** $4 cutoff: the entry goes only if still computed before it and nobody recomputes it. */
const DROP_STALE = `DELETE FROM ${TABLE} WHERE ${IDENTITY} AND computed_at < $4 AND (owner IS NULL OR lease_until <= clock_timestamp())`;
/** $4 owner: the mark goes only if it is still that owner's and expired; a row holding no entry goes with it. */
const DROP_EXPIRED_MARK_ROW = `DELETE FROM ${TABLE} WHERE ${IDENTITY} AND owner = $4 AND lease_until <= clock_timestamp() AND value IS NULL`;
const DROP_EXPIRED_MARK = `UPDATE ${TABLE} SET owner = NULL, lease_until = NULL WHERE ${IDENTITY} AND owner = $4 AND lease_until <= clock_timestamp()`;
const READ = `SELECT value, computed_at FROM ${TABLE} WHERE ${IDENTITY}`;
/** $4 computedAt: the unreadable entry goes only if not rewritten since. */
const DROP_UNREADABLE = `DELETE FROM ${TABLE} WHERE ${IDENTITY} AND computed_at IS NOT DISTINCT FROM $4 AND owner IS NULL`;

/** PostgreSQL's "undefined table": no function has cached anything yet. */
const NO_TABLE = '42P01';

/** `postgres://user:secret@host/db` without the secret. */
const withoutSecret = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/**
 * The postgres backend's inspector on the table `cachier_entries`. It never
 * creates the table: a database without it holds no cache. Rows carry no
 * policy, so stale entries are counted and pruned only with `--stale-after`.
 */
export async function openInspector(options: InspectorOptions): Promise<CacheInspector> {
  const pool = await lazyClient(options['postgres'], asPostgresPool)();
  const run = async (text: string, values: unknown[]) => pool.query({ text, values });
  const identity = (record: StoredRecord): unknown[] => [record.functionId, record.sourceHash, record.key];
  const server = typeof options['address'] === 'string' ? withoutSecret(options['address']) : describePool(pool);

  async function list(): Promise<StoredRecord[]> {
    let rows: Array<Record<string, unknown>>;
    try {
      rows = (await run(LIST, [])).rows;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === NO_TABLE) return [];
      throw error;
    }
    const now = Date.now();
    return rows.map((row) => {
      const hasEntry = row['bytes'] !== null;
      const owner = row['owner'];
      return {
        functionId: String(row['function_id']),
        sourceHash: String(row['source_hash']),
        key: String(row['key']),
        hasEntry,
        bytes: hasEntry ? Number(row['bytes']) : 0,
        computedAt: typeof row['computed_at'] === 'number' ? row['computed_at'] : null,
        mark: typeof owner === 'string' ? { owner, leaseEnd: now + Number(row['lease_left_ms'] ?? 0) } : undefined,
      };
    });
  }

  return recordInspector({
    backend: 'postgres',
    description: `postgres ${server} table ${TABLE}`,
    locationOf: (functionId, sourceHash) =>
      `${TABLE} function_id = ${JSON.stringify(functionId)}${sourceHash === undefined ? '' : ` AND source_hash = ${JSON.stringify(sourceHash)}`}`,
    targetOf: (record) => `${TABLE} key = ${JSON.stringify(record.key)}`,
    list,
    async clearEntries(functionId) {
      const deleted = await run(CLEAR_UNMARKED, [functionId]);
      const emptied = await run(CLEAR_MARKED, [functionId]);
      return (deleted.rowCount ?? 0) + (emptied.rowCount ?? 0) > 0;
    },
    dropVersion: async (functionId, sourceHash) => ((await run(DROP_VERSION, [functionId, sourceHash])).rowCount ?? 0) > 0,
    dropStaleEntry: async (record, cutoff) => ((await run(DROP_STALE, [...identity(record), cutoff])).rowCount ?? 0) === 1,
    async dropExpiredMark(record) {
      const owner = record.mark?.owner ?? null;
      if (((await run(DROP_EXPIRED_MARK_ROW, [...identity(record), owner])).rowCount ?? 0) === 1) return true;
      return ((await run(DROP_EXPIRED_MARK, [...identity(record), owner])).rowCount ?? 0) === 1;
    },
    async problemOf(record) {
      return entryOf((await run(READ, identity(record))).rows[0]) === 'unreadable' ? 'its value cannot be deserialized' : undefined;
    },
    async dropUnreadable(record) {
      const row = (await run(READ, identity(record))).rows[0];
      if (entryOf(row) !== 'unreadable') return false;
      return ((await run(DROP_UNREADABLE, [...identity(record), row?.['computed_at'] ?? null])).rowCount ?? 0) === 1;
    },
    // The command owns its process: the pool it was handed is ended, so it exits promptly.
    close: async () => (pool as PostgresPool & { end?: () => Promise<void> }).end?.(),
  });
}

/** `host:port/database` of a pg Pool handed by a config file. */
function describePool(pool: PostgresPool): string {
  const settings = (pool as { options?: { host?: string; port?: number; database?: string; connectionString?: string } }).options;
  if (settings?.connectionString) return withoutSecret(settings.connectionString);
  return settings?.host ? `${settings.host}:${settings.port ?? 5432}/${settings.database ?? ''}` : 'the pool of the postgres option';
}

/** Options reaching the PostgreSQL server at `url` (`--postgres <url>`) through pg, an optional peer. */
export async function optionsForAddress(url: string): Promise<InspectorOptions> {
  const pg = await loadPeer<{
    default: { Pool: new (options: object) => PostgresPool & { on(event: 'error', listener: () => void): unknown } };
  }>('pg', 'postgres');
  const pool = new pg.default.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  return { backend: 'postgres', postgres: pool, address: url };
}
