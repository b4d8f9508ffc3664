import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, inject, test } from 'vitest';

// Proves bench scenario 7 runs end to end in quick mode against the suite's
// servers and reports the round trips each backend's doc states. No timing is asserted.
const resultsDir = mkdtempSync(join(tmpdir(), 'cachier-bench-shared-'));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

interface Row {
  contender: string;
  value?: number;
  unavailable?: string;
  roundTrips?: number;
}

test('npm run bench --quick shared-backends measures each shared backend beside one plain read or write', async () => {
  const servers = { REDIS_URL: inject('redisServer'), DATABASE_URL: inject('postgresServer'), S3_ENDPOINT: inject('s3Server') };
  const env: Record<string, string> = { ...process.env, BENCH_RESULTS_DIR: resultsDir } as Record<string, string>;
  for (const [name, server] of Object.entries(servers)) if ('url' in server) env[name] = server.url;
  await promisify(execFile)(process.execPath, ['bench/run.mjs', '--quick', 'shared-backends'], { env });
  const result = JSON.parse(readFileSync(join(resultsDir, 'shared-backends.json'), 'utf8')) as { tables: { title: string; rows: Row[] }[] };
  const ours = (backend: string, what: 'hit' | 'miss') =>
    result.tables.flatMap((table) => table.rows).find((row) => row.contender === `cachier ${backend} core, ${what}`);
  for (const [backend, variable] of [
    ['redis', 'REDIS_URL'],
    ['postgres', 'DATABASE_URL'],
    ['s3', 'S3_ENDPOINT'],
  ] as const) {
    if (!(variable in env)) continue;
    expect(ours(backend, 'hit')).toMatchObject({ value: expect.any(Number), roundTrips: 1 });
    expect(ours(backend, 'miss')?.value).toEqual(expect.any(Number));
  }
  if ('REDIS_URL' in env) expect(ours('redis', 'miss')?.roundTrips).toBe(3);
  if ('DATABASE_URL' in env) expect(ours('postgres', 'miss')?.roundTrips).toBe(3);
  if ('S3_ENDPOINT' in env) expect([4, 6]).toContain(ours('s3', 'miss')?.roundTrips);
  for (const table of result.tables) {
    for (const row of table.rows) expect(row.unavailable !== undefined || (typeof row.value === 'number' && row.value > 0)).toBe(true);
  }
}, 180_000);
