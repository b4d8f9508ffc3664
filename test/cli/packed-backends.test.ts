import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { ServerAddress } from '../support/servers/global-setup.js';
import { RouteProject, type RunResult } from '../support/routes/route-project.js';

// The `cachier` command from the packed tarball, installed with the driver as
// a user installs them, run with `--config cachier.config.mjs` on Redis,
// PostgreSQL and S3 caches made by real calls against the real servers.

const BUCKET = 'cachier-test';
const HOUR = 3_600_000;

/** The application's connection, as a user writes it once for the app and the command. */
const CONNECTIONS: Readonly<Record<string, { readonly imports: string; readonly options: string; readonly close: string }>> = {
  redis: {
    imports: "import { Redis } from 'ioredis';",
    options: "{ backend: 'redis', redis: new Redis(process.env.SERVER_URL, { maxRetriesPerRequest: 1 }) }",
    close: 'options.redis.disconnect()',
  },
  postgres: {
    imports: "import pg from 'pg';",
    options: "{ backend: 'postgres', postgres: new pg.Pool({ connectionString: process.env.SERVER_URL, max: 2 }) }",
    close: 'await options.postgres.end()',
  },
  s3: {
    imports: "import { S3Client } from '@aws-sdk/client-s3';",
    options:
      "{ backend: 's3', s3: { bucket: '" +
      BUCKET +
      "', prefix: process.env.S3_PREFIX, client: new S3Client({ endpoint: process.env.SERVER_URL, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }) } }",
    close: 'options.s3.client.destroy()',
  },
};

const DRIVERS: Readonly<Record<string, Record<string, string>>> = {
  redis: { ioredis: '6.0.0' },
  postgres: { pg: '8.23.1' },
  s3: { '@aws-sdk/client-s3': '3.1175.0' },
};

/** The application: real cached calls, some dated back through the clock, then the count of computations. */
const APP = `import { cachier, setDefaults } from 'cachier';
import options from './cachier.config.mjs';
import { close } from './close.mjs';

const [prefix, plan] = [process.argv[2], JSON.parse(process.argv[3])];
let computations = 0;
for (const { name, sourceHash, keys, ageMs } of plan) {
  setDefaults({ ...options, clock: () => Date.now() - ageMs });
  const fn = cachier(async (key) => { computations++; return { name, key, text: 'v'.repeat(100) }; }, { id: prefix + name, sourceHash });
  for (const key of keys) await fn(key);
}
await close();
process.stdout.write(String(computations));
`;

const servers: Record<string, ServerAddress> = {};

describe.each(['redis', 'postgres', 's3'])('cachier --config cachier.config.mjs from the packed tarball on %s', (backend) => {
  const project = new RouteProject(`cli-${backend}`);
  const prefix = `packed-${randomUUID().slice(0, 8)}/`;
  const env: Record<string, string> = {};

  beforeAll(async () => {
    servers['redis'] = inject('redisServer');
    servers['postgres'] = inject('postgresServer');
    servers['s3'] = inject('s3Server');
    const server = servers[backend] as ServerAddress;
    if ('skip' in server) return;
    const connection = CONNECTIONS[backend] as (typeof CONNECTIONS)[string];
    Object.assign(env, { SERVER_URL: server.url, S3_PREFIX: `cli-${prefix}` });
    await project.install(inject('cachierTarball'), DRIVERS[backend] as Record<string, string>, { type: 'module' });
    project.write('cachier.config.mjs', `${connection.imports}\n\nexport default ${connection.options};\n`);
    project.write('close.mjs', `import options from './cachier.config.mjs';\nexport async function close() { ${connection.close}; }\n`);
    project.write('app.mjs', APP);
  }, 300_000);

  const skipReason = (): string | undefined => {
    const server = servers[backend];
    return server && 'skip' in server ? server.skip : undefined;
  };
  const app = async (plan: ReadonlyArray<{ name: string; sourceHash: string; keys: number[]; ageMs: number }>): Promise<number> => {
    const run = await project.node(['app.mjs', prefix, JSON.stringify(plan)], process.execPath, env);
    if (run.code !== 0) throw new Error(`the app failed: ${run.output}`);
    return Number(run.stdout);
  };
  const cachierRun = (args: readonly string[]): Promise<RunResult> =>
    project.run('cachier', [...args, '--config', 'cachier.config.mjs'], env);
  const json = async <T>(args: readonly string[], status = 0): Promise<T> => {
    const run = await cachierRun([...args, '--json']);
    if (run.code !== status) throw new Error(`cachier ${args.join(' ')} exited ${run.code}: ${run.output}`);
    return JSON.parse(run.stdout) as T;
  };
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, index) => from + index);

  interface Listed {
    functions: Array<{
      id: string;
      backend: string;
      versions: Array<{ sourceHash: string; entries: number; current: boolean; bytes: number }>;
    }>;
  }

  test('ls, show, stats, verify, prune and clear work on caches the application made', async (context) => {
    const reason = skipReason();
    if (reason) context.skip(reason);
    // The current versions first: no core's own sweep of older versions sees the old one.
    expect(
      await app([
        { name: 'a.ts#kept', sourceHash: 'v2', keys: range(0, 3), ageMs: 0 },
        { name: 'a.ts#kept', sourceHash: 'v2', keys: range(3, 2), ageMs: 2 * HOUR },
        { name: 'b.ts#other', sourceHash: 'v1', keys: range(0, 4), ageMs: 0 },
        { name: 'a.ts#kept', sourceHash: 'v1', keys: range(0, 6), ageMs: 48 * HOUR },
      ]),
    ).toBe(15);
    const pattern = `${prefix}*`;

    const listed = await json<Listed>(['ls', pattern]);
    expect(
      listed.functions.map((fn) => [
        fn.id,
        fn.backend,
        fn.versions.map((version) => [version.sourceHash, version.entries, version.current]),
      ]),
    ).toEqual([
      [
        `${prefix}a.ts#kept`,
        backend,
        [
          ['v2', 5, true],
          ['v1', 6, false],
        ],
      ],
      [`${prefix}b.ts#other`, backend, [['v1', 4, true]]],
    ]);
    const shown = await json<{ totalEntries: number }>(['show', `${prefix}b.ts#other`]);
    expect(shown.totalEntries).toBe(4);
    const stats = await json<{ functions: Array<{ id: string; entries: number; bytes: number }> }>(['stats', pattern]);
    expect(stats.functions.map((fn) => [fn.id, fn.entries])).toEqual([
      [`${prefix}a.ts#kept`, 11],
      [`${prefix}b.ts#other`, 4],
    ]);
    expect(stats.functions.every((fn) => fn.bytes > 100 * fn.entries)).toBe(true);
    expect(await json<{ read: number; unreadable: unknown[] }>(['verify', pattern])).toEqual({ read: 15, unreadable: [] });
    // The cachier.config.mjs of the current folder is used without --config.
    const found = await project.run('cachier', ['ls', pattern, '--json'], env);
    expect((JSON.parse(found.stdout) as Listed).functions).toHaveLength(2);
    // A driver the project did not install is named with how to install it.
    const other = backend === 'postgres' ? ['--redis', 'redis://127.0.0.1:1'] : ['--postgres', 'postgres://127.0.0.1:1/none'];
    const missing = await project.run('cachier', [...other, 'ls'], env);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/cannot load (ioredis|pg), the (redis|postgres) driver .*npm install (ioredis|pg)/);

    const planned = await json<{ wouldRemove: Array<{ kind: string; entries: number }> }>([
      'prune',
      pattern,
      '--stale-after',
      '1h',
      '--dry-run',
    ]);
    expect(planned.wouldRemove.map((removal) => [removal.kind, removal.entries]).sort()).toEqual([
      ['old version', 6],
      ['stale entry', 1],
      ['stale entry', 1],
    ]);
    expect((await cachierRun(['prune', pattern, '--stale-after', '1h', '--yes'])).code).toBe(0);
    expect((await cachierRun(['clear', `${prefix}b.ts#other`, '--yes'])).code).toBe(0);
    const after = await json<Listed>(['ls', pattern]);
    expect(after.functions.map((fn) => [fn.id, fn.versions.map((version) => [version.sourceHash, version.entries])])).toEqual([
      [`${prefix}a.ts#kept`, [['v2', 3]]],
      ...(after.functions.length > 1 ? [[`${prefix}b.ts#other`, [['v1', 0]]]] : []),
    ]);
    // The application still gets hits for what was kept, and recomputes what went.
    expect(await app([{ name: 'a.ts#kept', sourceHash: 'v2', keys: range(0, 5), ageMs: 0 }])).toBe(2);
    expect(await app([{ name: 'b.ts#other', sourceHash: 'v1', keys: range(0, 4), ageMs: 0 }])).toBe(4);
  }, 120_000);
});
