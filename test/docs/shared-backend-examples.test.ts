import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, test } from 'vitest';
import { TEST_BUCKET } from '../support/backends/machines.mjs';

// Each shared backend's runnable example, as docs/<backend>.md shows it, run
// against the suite's server for that backend.
const root = fileURLToPath(new URL('../..', import.meta.url));
const servers = {
  redis: { server: inject('redisServer'), env: (url: string) => ({ REDIS_URL: url }) },
  postgres: { server: inject('postgresServer'), env: (url: string) => ({ DATABASE_URL: url }) },
  s3: {
    server: inject('s3Server'),
    env: (url: string) => ({
      S3_ENDPOINT: url,
      S3_BUCKET: TEST_BUCKET,
      AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] ?? 'S3RVER',
      AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] ?? 'S3RVER',
    }),
  },
} as const;

describe.each(Object.entries(servers))('the %s example', (backend, { server, env }) => {
  const example = `docs/examples/${backend}-cache.mjs`;

  test(`docs/${backend}.md shows the example file as it is`, () => {
    const code = readFileSync(new URL(`../../${example}`, import.meta.url), 'utf8');
    expect(readFileSync(new URL(`../../docs/${backend}.md`, import.meta.url), 'utf8')).toContain(code);
  });

  test('runs: computes once, then serves from the server', async (context) => {
    if ('skip' in server) return context.skip(server.skip);
    const { stdout } = await promisify(execFile)(process.execPath, [example], { cwd: root, env: { ...process.env, ...env(server.url) } });
    expect(stdout).toMatch(/^slowSquare\(12\) = 144 in \d+ms\nslowSquare\(12\) = 144 in \d+ms\n$/);
  });
});
