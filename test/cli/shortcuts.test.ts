import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, test } from 'vitest';
import type { FunctionInfo } from '../../runtime/backends/shared/inspection.js';
import { cachier, resetDefaults, type CachierOptions } from '../../runtime/index.js';
import { connectMachine, TEST_BUCKET, type Machine } from '../support/backends/machines.mjs';
import { cachierCli } from '../support/cli/run.js';
import type { ServerAddress } from '../support/servers/global-setup.js';

// The shell shortcuts reach each server backend as the application does:
// --redis <url>, --postgres <url>, --s3 <bucket[/prefix]> --s3-endpoint <url>.

const machines: Machine[] = [];
afterEach(async () => {
  resetDefaults();
  await Promise.all(machines.splice(0).map((machine) => machine.close().catch(() => undefined)));
});

const SHORTCUTS = [
  { backend: 'redis', server: () => inject('redisServer'), flags: (url: string) => ['--redis', url] },
  { backend: 'postgres', server: () => inject('postgresServer'), flags: (url: string) => ['--postgres', url] },
  { backend: 's3', server: () => inject('s3Server'), flags: (url: string) => ['--s3', TEST_BUCKET, '--s3-endpoint', url] },
] as const;

const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

describe.each(SHORTCUTS.map((shortcut) => [shortcut.backend, shortcut] as const))('cachier with the %s shortcut', (backend, shortcut) => {
  test('lists, verifies and clears the entries real calls stored', async (context) => {
    const server: ServerAddress = shortcut.server();
    if ('skip' in server) return context.skip(server.skip);
    const url = server.url;
    const machine = await connectMachine(backend, url);
    machines.push(machine);
    const id = `shortcut-${randomUUID().slice(0, 8)}/a.ts#double`;
    const double = cachier(async (x: number) => x * 2, { ...(machine.options as CachierOptions), id, sourceHash: 'v1' });
    for (let x = 0; x < 3; x++) await double(x);

    const run = (args: readonly string[]) => cachierCli([...shortcut.flags(url), ...args], S3_CREDENTIALS);
    const listed = run(['ls', id, '--json']);
    expect(listed.status).toBe(0);
    const [fn] = (JSON.parse(listed.stdout) as { functions: FunctionInfo[] }).functions;
    expect([fn?.id, fn?.backend, fn?.versions[0]?.entries]).toEqual([id, backend, 3]);
    expect(JSON.parse(run(['verify', id, '--json']).stdout)).toEqual({ read: 3, unreadable: [] });
    expect(run(['clear', id, '--yes']).status).toBe(0);
    const after = (JSON.parse(run(['ls', '--json']).stdout) as { functions: FunctionInfo[] }).functions.find((item) => item.id === id);
    expect(after?.versions.reduce((sum, version) => sum + version.entries, 0) ?? 0).toBe(0);
  });
});

describe('choosing the caches', () => {
  test('two shortcuts at once, or a shortcut with --dir, is a usage error', () => {
    for (const args of [
      ['--redis', 'redis://x', '--postgres', 'postgres://x', 'ls'],
      ['--redis', 'redis://x', '--dir', '/tmp', 'ls'],
    ]) {
      const run = cachierCli(args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/not several|leave out --config and --dir/);
    }
  });

  test('a config whose default export is not an options object is named with what it must export', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachier-config-'));
    writeFileSync(join(dir, 'bad.config.mjs'), 'export default 42;\n');
    const run = cachierCli(['--config', join(dir, 'bad.config.mjs'), 'ls']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('must export by default the options object your application passes to setDefaults');
  });

  test('a config naming the file backend lists its cacheDir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cachier-config-'));
    const cacheDir = join(dir, 'cache');
    cachier((x: number) => x + 1, { backend: 'file', cacheDir, id: 'src/a.ts#next', sourceHash: 'v1' })(1);
    writeFileSync(join(dir, 'cachier.config.mjs'), `export default { backend: 'file', cacheDir: ${JSON.stringify(cacheDir)} };\n`);
    const run = cachierCli(['--config', join(dir, 'cachier.config.mjs'), 'ls', '--json']);
    expect((JSON.parse(run.stdout) as { functions: FunctionInfo[] }).functions.map((fn) => fn.id)).toEqual(['src/a.ts#next']);
  });
});
