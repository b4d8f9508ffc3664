import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { InvalidOptionError, UnsafeCacheDirError, cachier, resetDefaults } from '../../../../runtime/index.js';
import { warningsDuring } from '../../../support/clock.js';
import { freshPlace } from '../../../support/file-core/children.js';

afterEach(() => {
  resetDefaults();
  delete process.env['CACHIER_SHARED_KEY'];
});

/** A counted function cached in `cacheDir`. */
function counted(cacheDir: string, options: Record<string, unknown> = {}) {
  const counter = { calls: 0 };
  const fn = cachier(
    async function rows(n: number): Promise<unknown> {
      counter.calls++;
      return `rows-${n}`;
    },
    { id: 'test/file-trust#rows', sourceHash: 'v1', cacheDir, ...options },
  );
  return { fn, counter };
}

describe('file backend: who may write the cache folder', () => {
  test('a group-writable cache folder is refused: the call computes, with a warning saying why and how to fix it', async () => {
    const { cacheDir } = freshPlace();
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o770);
    const { fn, counter } = counted(cacheDir);
    const warnings = await warningsDuring(async () => expect(await fn(1)).toBe('rows-1'));
    expect(counter.calls).toBe(1);
    expect(warnings[0]?.message).toContain(`refusing the cache folder ${cacheDir}: it is writable by its group (mode 770)`);
    expect(warnings[0]?.message).toContain('chmod go-w');
  });

  test('under strict: true the refusal is thrown as an UnsafeCacheDirError naming the folder', async () => {
    const { cacheDir } = freshPlace();
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    const { fn, counter } = counted(cacheDir, { strict: true });
    const error = await fn(1).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnsafeCacheDirError);
    expect((error as UnsafeCacheDirError).path).toBe(cacheDir);
    expect(counter.calls).toBe(0);
  });

  test('folders the backend creates are private, so they pass its own checks', async () => {
    const { cacheDir } = freshPlace();
    const { fn, counter } = counted(cacheDir);
    const warnings = await warningsDuring(async () => {
      await fn(1);
      await fn(1);
    });
    expect(warnings).toEqual([]);
    expect(counter.calls).toBe(1);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    // Below the root too: the function, version, entries, shard and marks folders (made without a second look) and the files.
    const found = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, mode: statSync(path).mode & 0o777, folder: entry.isDirectory() };
    });
    expect(found.filter((entry) => entry.folder).length).toBeGreaterThanOrEqual(5);
    for (const entry of found) expect(entry, entry.path).toMatchObject({ mode: entry.folder ? 0o700 : 0o600 });
  });

  test('shared: true without CACHIER_SHARED_KEY is an InvalidOptionError naming the variable', async () => {
    const { cacheDir } = freshPlace();
    const { fn } = counted(cacheDir, { shared: true });
    const error = await Promise.resolve()
      .then(() => fn(1))
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('CACHIER_SHARED_KEY');
  });

  test('shared: true accepts a group-writable folder and serves entries signed with the same key', async () => {
    const { cacheDir } = freshPlace();
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o770);
    process.env['CACHIER_SHARED_KEY'] = 'the-team-key-0123456789';
    const writer = counted(cacheDir, { shared: true });
    const reader = counted(cacheDir, { shared: true });
    const warnings = await warningsDuring(async () => {
      expect(await writer.fn(1)).toBe('rows-1');
      expect(await reader.fn(1)).toBe('rows-1');
    });
    expect(warnings).toEqual([]);
    expect([writer.counter.calls, reader.counter.calls]).toEqual([1, 0]);
  });
});

describe('file backend: bounded reads', () => {
  test('an entry file larger than entrySizeLimit allows is a miss, decided before reading it', async () => {
    const { cacheDir } = freshPlace();
    const big = cachier(async (n: number) => 'x'.repeat(4_096 + n), { id: 'test/file-trust#big', sourceHash: 'v1', cacheDir });
    await big(1);
    const bounded = cachier(async (n: number) => `small-${n}`, {
      id: 'test/file-trust#big',
      sourceHash: 'v1',
      cacheDir,
      entrySizeLimit: '1KB',
    });
    const warnings = await warningsDuring(async () => expect(await bounded(1)).toBe('small-1'));
    expect(warnings[0]?.message).toMatch(/is 4\d{3} bytes long, more than the largest entry this function stores \(1\d{3} bytes/);
  });

  test('a result that is mostly holes (a sparse array longer than 65,536 and than its file) is returned but not stored', async () => {
    const { cacheDir } = freshPlace();
    const counter = { calls: 0 };
    const holes = cachier(
      async () => {
        counter.calls++;
        const array: number[] = [];
        array[100_000] = 1;
        return array;
      },
      { id: 'test/file-trust#holes', sourceHash: 'v1', cacheDir },
    );
    const warnings = await warningsDuring(async () => {
      expect((await holes()).length).toBe(100_001);
      await holes();
    });
    expect(counter.calls).toBe(2);
    expect(warnings[0]?.message).toContain('holds an array of length 100001');
  });

  test('a sparse array within the bound round-trips, holes included', async () => {
    const { cacheDir } = freshPlace();
    const sparse = cachier(async () => [1, , 3], { id: 'test/file-trust#sparse', sourceHash: 'v1', cacheDir });
    await sparse();
    const again = cachier(async () => [0], { id: 'test/file-trust#sparse', sourceHash: 'v1', cacheDir });
    const value = await again();
    expect(value).toEqual([1, , 3]);
    expect(1 in value).toBe(false);
  });
});

describe('docs/examples/shared-cache.mjs', () => {
  const example = fileURLToPath(new URL('../../../../docs/examples/shared-cache.mjs', import.meta.url));

  test('docs/file-backend.md shows it as it is', () => {
    expect(readFileSync(new URL('../../../../docs/file-backend.md', import.meta.url), 'utf8')).toContain(readFileSync(example, 'utf8'));
  });

  test('runs: the second process is served the first one’s entry, a forged one is a miss', async () => {
    const { cacheDir } = freshPlace();
    const run = () =>
      promisify(execFile)(process.execPath, [example], {
        env: { ...process.env, CACHIER_SHARED_KEY: 'a-key-the-team-shares-42', TEAM_CACHE: cacheDir },
      });
    expect((await run()).stdout).toBe('report(2026) = sales 2026, computed here\n');
    expect((await run()).stdout).toBe('report(2026) = sales 2026, served from the team cache\n');
    const [entry] = readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((path) => /[0-9a-f]{62}$/.test(path));
    writeFileSync(join(cacheDir, entry as string), 'forged');
    expect((await run()).stdout).toBe('report(2026) = sales 2026, computed here\n');
  });
});
