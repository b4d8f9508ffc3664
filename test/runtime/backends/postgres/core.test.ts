import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { cachier, resetDefaults, setDefaults } from '../../../../runtime/index.js';

// What is particular to the postgres backend; the behaviour every backend
// shares is in backend-conformance*.test.ts.
const available = inject('postgresServer');
let pool: pg.Pool;

beforeAll(() => {
  if ('url' in available) pool = new pg.Pool({ connectionString: available.url, application_name: 'cachier-postgres-core-test' });
});

afterAll(async () => {
  resetDefaults();
  await pool?.end();
});

const rows = async (functionId: string) =>
  (await pool.query('SELECT source_hash, owner FROM cachier_entries WHERE function_id = $1 ORDER BY source_hash', [functionId])).rows;

describe.skipIf('skip' in available)('postgres backend', () => {
  test('the table is created on first use with the documented columns and primary key', async () => {
    await cachier(async (x: number) => x, { backend: 'postgres', postgres: pool, id: 'schema', sourceHash: 'v1' })(1);
    const columns = await pool.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'cachier_entries' ORDER BY ordinal_position`,
    );
    // used_at is added by the first function with bounds (maxEntries, maxBytes) that uses the pool: another test's, maybe.
    const described = columns.rows.map((row) => `${row.column_name} ${row.data_type} ${row.is_nullable}`);
    expect(described.filter((column) => !column.startsWith('used_at '))).toEqual([
      'function_id text NO',
      'source_hash text NO',
      'key text NO',
      'value bytea YES',
      'computed_at double precision YES',
      'owner text YES',
      'lease_until timestamp with time zone YES',
    ]);
    for (const column of described.filter((name) => name.startsWith('used_at '))) expect(column).toBe('used_at double precision YES');
    const key = await pool.query(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = 'cachier_entries'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
    );
    expect(key.rows.map((row) => row.attname)).toEqual(['function_id', 'source_hash', 'key']);
  });

  test("a new source hash's first store deletes rows of other hashes computed more than a day ago", async () => {
    let now = Date.now();
    setDefaults({ clock: () => now });
    await cachier(async (x: number) => x, { backend: 'postgres', postgres: pool, id: 'versions', sourceHash: 'v1' })(1);
    await cachier(async (x: number) => x, { backend: 'postgres', postgres: pool, id: 'versions', sourceHash: 'v2' })(1);
    expect((await rows('versions')).map((row) => row.source_hash)).toEqual(['v1', 'v2']);
    now += 25 * 3_600_000;
    // A new process of the new code (setDefaults rebuilds the cores) sweeps the old rows.
    setDefaults({ clock: () => now });
    await cachier(async (x: number) => x, { backend: 'postgres', postgres: pool, id: 'versions', sourceHash: 'v2' })(2);
    expect((await rows('versions')).map((row) => row.source_hash)).toEqual(['v2', 'v2']);
  });

  test('waiters LISTEN on one connection of their own, woken by the store, and it closes once nobody waits', async () => {
    const listening = async () =>
      (
        await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN cachier_entries' AND application_name = 'cachier-postgres-core-test'`,
        )
      ).rows[0].n;
    let open = (_value: string): void => undefined;
    const computing = cachier(async () => new Promise<string>((resolve) => (open = resolve)), {
      backend: 'postgres',
      postgres: pool,
      id: 'notify',
      sourceHash: 'v1',
    });
    const other = new pg.Pool({ connectionString: pool.options.connectionString, application_name: 'cachier-postgres-core-test' });
    try {
      const waiting = cachier(async () => 'waiter computed', { backend: 'postgres', postgres: other, id: 'notify', sourceHash: 'v1' });
      const pending = computing();
      await vi.waitFor(async () => expect((await rows('notify'))[0]?.owner).toEqual(expect.any(String)));
      const waiters = [waiting(), waiting(), waiting()];
      await vi.waitFor(async () => expect(await listening()).toBe(1));
      open('owner computed');
      expect(await Promise.all(waiters)).toEqual(['owner computed', 'owner computed', 'owner computed']);
      await pending;
      await vi.waitFor(async () => expect(await listening()).toBe(0));
    } finally {
      await other.end();
    }
  });

  test('on a pool of one connection, a hit is served while another caller waits, and the waiter gets the value computed once', async () => {
    const single = new pg.Pool({ connectionString: pool.options.connectionString, max: 1, connectionTimeoutMillis: 1_000 });
    try {
      const options = { backend: 'postgres', postgres: single, id: 'one-connection', sourceHash: 'v1', strict: true } as const;
      let computations = 0;
      let open = (_value: string): void => undefined;
      const owner = cachier(async (x: number) => {
        computations++;
        return x === 1 ? new Promise<string>((resolve) => (open = resolve)) : `stored ${x}`;
      }, options);
      await owner(2);
      const pending = owner(1);
      await vi.waitFor(() => expect(computations).toBe(2));
      const other = cachier(async (x: number) => {
        computations++;
        return `waiter computed ${x}`;
      }, options);
      const waiting = other(1);
      await vi.waitFor(async () => expect((await other.cacheInfo()).waits).toBe(1));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await other(2)).toBe('stored 2');
      open('owner computed');
      expect(await waiting).toBe('owner computed');
      expect(await pending).toBe('owner computed');
      expect(computations).toBe(2);
    } finally {
      await single.end();
    }
  });
});
