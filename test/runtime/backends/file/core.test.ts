import { hostname } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cachier, resetDefaults, setDefaults } from '../../../../runtime/index.js';
import { keyOfArguments } from '../../../../runtime/keys.js';
import { keyPaths, versionLayout } from '../../../../runtime/backends/file/layout.js';
import { UNUSED_VERSION_MS } from '../../../../runtime/backends/file/versions.js';
import { warningsDuring } from '../../../support/clock.js';
import { freshPlace, waitFor } from '../../../support/file-core/children.js';

afterEach(() => {
  resetDefaults();
});

/** A counted function cached by the file core in a fresh folder. */
function counted(options: Record<string, unknown> = {}) {
  const { cacheDir } = freshPlace();
  const counter = { calls: 0 };
  const id = (options['id'] as string | undefined) ?? 'test/runtime/backends/file/core.test.ts#square';
  const fn = cachier(
    async function square(x: number): Promise<{ x: number; square: number }> {
      counter.calls++;
      return { x, square: x * x };
    },
    { id, sourceHash: 'v1', cacheDir, ...options },
  );
  const layout = versionLayout(cacheDir, id, (options['sourceHash'] as string | undefined) ?? 'v1');
  const entryOf = (x: number): string => keyPaths(layout, keyOfArguments([x])).entry;
  const markOf = (x: number): string => keyPaths(layout, keyOfArguments([x])).mark;
  return { fn, counter, cacheDir, layout, entryOf, markOf };
}

/** Writes a being-calculated mark as a process on another machine would. */
function foreignMark(path: string, leaseMs: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify({ token: 'elsewhere', pid: 1, host: `not-${hostname()}`, leaseMs }));
}

describe('file core: storage', () => {
  test('entries survive a new wrapper (as in a new process) and live in one file each', async () => {
    const { fn, counter, cacheDir, entryOf } = counted();
    expect(await fn(3)).toEqual({ x: 3, square: 9 });
    const again = cachier(async (x: number) => ({ x, square: -1 }), {
      id: 'test/runtime/backends/file/core.test.ts#square',
      sourceHash: 'v1',
      cacheDir,
    });
    expect(await again(3)).toEqual({ x: 3, square: 9 });
    expect(existsSync(entryOf(3))).toBe(true);
    expect(counter.calls).toBe(1);
    expect((await fn.cacheInfo()).entries).toBe(1);
  });

  test('folders are private to the user (0700) and files too (0600)', async () => {
    const { fn, cacheDir, layout, entryOf } = counted();
    await fn(1);
    for (const dir of [cacheDir, layout.functionDir, layout.versionDir, join(entryOf(1), '..')]) {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    }
    expect(statSync(entryOf(1)).mode & 0o777).toBe(0o600);
    expect(statSync(layout.usedStamp).mode & 0o777).toBe(0o600);
  });

  test('function ids with slashes, dots and odd characters get their own folders', async () => {
    const ids = ['a/b.ts#f', 'a/b.ts#F', 'a_b.ts#f', '../../etc#f', 'ü/名前#f'];
    const { cacheDir } = freshPlace();
    const fns = ids.map((id) => cachier(async (x: number) => `${id}:${x}`, { id, sourceHash: 'v1', cacheDir }));
    for (const fn of fns) await fn(1);
    expect(await Promise.all(fns.map((fn) => fn(1)))).toEqual(ids.map((id) => `${id}:1`));
    // One folder per function, beside the CACHEDIR.TAG that marks the root as a cachier cache.
    expect(readdirSync(cacheDir).filter((name) => name !== 'CACHEDIR.TAG')).toHaveLength(ids.length);
  });

  test('sync functions hit and miss synchronously', () => {
    const { cacheDir } = freshPlace();
    let calls = 0;
    const twice = cachier((x: number) => ++calls && x * 2, { id: 'sync-twice', sourceHash: 'v1', cacheDir });
    expect(twice(4)).toBe(8);
    expect(twice(4)).toBe(8);
    expect(calls).toBe(1);
  });

  test('a sync call does not wait for a computation its own process holds: it computes at once', async () => {
    const { cacheDir } = freshPlace();
    const options = { id: 'own-mark', sourceHash: 'v1', cacheDir, lease: '1m' };
    let finish = (): void => undefined;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const slow = cachier(async (x: number) => {
      await gate;
      return x;
    }, options);
    const pending = slow(1);
    await waitFor(() => existsSync(keyPaths(versionLayout(cacheDir, 'own-mark', 'v1'), keyOfArguments([1])).mark));
    const quick = cachier((x: number) => x * 10, options);
    expect(quick(1)).toBe(10);
    finish();
    expect(await pending).toBe(1);
  });

  test('values round-trip through node:v8: Dates, Maps, Sets, BigInt, typed arrays, cycles', async () => {
    const { cacheDir } = freshPlace();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    const value = { when: new Date(5), map: new Map([[1, 'a']]), set: new Set([2n]), bytes: new Uint8Array([1, 2]), cyclic };
    const options = { id: 'round-trip', sourceHash: 'v1', cacheDir };
    await cachier(async () => value, options)();
    const read = await cachier(async (): Promise<typeof value | undefined> => undefined, options)();
    expect(read).toEqual(value);
    expect(read?.cyclic['self']).toBe(read?.cyclic);
  });
});

describe('file core: damaged files', () => {
  test('garbage, truncated, empty and foreign files are misses, reported once each; other entries stay', async () => {
    const { fn, counter, entryOf } = counted();
    for (const x of [1, 2, 3, 4, 5]) await fn(x);
    const intact = readFileSync(entryOf(1));
    writeFileSync(entryOf(1), Buffer.from('this is not a cache entry at all'));
    writeFileSync(entryOf(2), intact.subarray(0, intact.length - 3));
    writeFileSync(entryOf(3), '');
    writeFileSync(entryOf(4), intact); // an intact entry, but of another key
    const damaged = Buffer.from(readFileSync(entryOf(5)));
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 2) ^ 0xff, damaged.length - 2);
    writeFileSync(entryOf(5), damaged);
    counter.calls = 0;
    const warnings = await warningsDuring(async () => {
      for (const x of [1, 2, 3, 4, 5]) expect(await fn(x)).toEqual({ x, square: x * x });
    });
    expect(counter.calls).toBe(5);
    expect(warnings.map((warning) => (warning as Error & { code?: string }).code)).toEqual(Array(5).fill('CACHIER_UNREADABLE_ENTRY'));
    expect(warnings[0]?.message).toContain(entryOf(1));
    // Rewritten by the recomputation: served again, no more warnings.
    const later = await warningsDuring(async () => {
      for (const x of [1, 2, 3, 4, 5]) await fn(x);
    });
    expect(later).toEqual([]);
    expect(counter.calls).toBe(5);
  });

  test('a folder where an entry file should be is a miss, not a crash', async () => {
    const { fn, entryOf } = counted();
    mkdirSync(entryOf(7), { recursive: true });
    const warnings = await warningsDuring(async () => expect(await fn(7)).toEqual({ x: 7, square: 49 }));
    expect(warnings.length).toBeGreaterThan(0);
  });

  test('an unwritable cache folder: the call returns its value, with a warning', async () => {
    const { cacheDir } = freshPlace();
    mkdirSync(join(cacheDir, '..'), { recursive: true });
    writeFileSync(cacheDir, 'a file where the cache folder should be');
    const fn = cachier(async (x: number) => x + 1, { id: 'unwritable', sourceHash: 'v1', cacheDir });
    const warnings = await warningsDuring(async () => expect(await fn(1)).toBe(2));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]?.message).toContain(cacheDir);
  });
});

describe('file core: clearing', () => {
  test('clearCache removes only this function’s entries, even for ids sharing a prefix', async () => {
    const { cacheDir } = freshPlace();
    const f = cachier(async (x: number) => x, { id: 'mod.ts#f', sourceHash: 'v1', cacheDir });
    const f2 = cachier(async (x: number) => x, { id: 'mod.ts#f2', sourceHash: 'v1', cacheDir });
    await f(1);
    await f(2);
    await f2(1);
    await f.clearCache();
    expect((await f.cacheInfo()).entries).toBe(0);
    expect((await f2.cacheInfo()).entries).toBe(1);
  });

  test('clearBeingCalculated removes marks, so nobody waits for a computation that will not finish', async () => {
    const { fn, markOf } = counted({ waitForCalcTimeout: '200ms' });
    foreignMark(markOf(2), 60_000);
    expect(await fn(2)).toEqual({ x: 2, square: 4 });
    expect((await fn.cacheInfo()).waits).toBe(1);
    foreignMark(markOf(3), 60_000);
    await fn.clearBeingCalculated();
    expect(existsSync(markOf(3))).toBe(false);
    expect(await fn(3)).toEqual({ x: 3, square: 9 });
    expect((await fn.cacheInfo()).waits).toBe(1);
  });

  test('a mark whose lease ran out is taken over', async () => {
    const { fn, counter, markOf } = counted();
    foreignMark(markOf(4), 300);
    expect(await fn(4)).toEqual({ x: 4, square: 16 });
    expect(counter.calls).toBe(1);
    expect((await fn.cacheInfo()).waits).toBe(1);
  });

  test('an empty mark just created is one being written: waited for, then taken over once a second old', async () => {
    const { fn, counter, markOf, entryOf } = counted();
    mkdirSync(join(markOf(5), '..'), { recursive: true });
    writeFileSync(markOf(5), '');
    expect(await fn(5)).toEqual({ x: 5, square: 25 });
    expect((await fn.cacheInfo()).waits).toBe(1);
    writeFileSync(markOf(6), '');
    const secondsAgo = Date.now() / 1000 - 2;
    utimesSync(markOf(6), secondsAgo, secondsAgo);
    expect(await fn(6)).toEqual({ x: 6, square: 36 });
    expect((await fn.cacheInfo()).waits).toBe(1);
    expect(counter.calls).toBe(2);
    expect(existsSync(entryOf(5)) && existsSync(entryOf(6))).toBe(true);
    expect(existsSync(markOf(5)) || existsSync(markOf(6))).toBe(false);
  });

  test('a mark cleared and taken by another owner while its first owner computes is left to the new owner', async () => {
    const { cacheDir } = freshPlace();
    const options = { id: 'test/runtime/backends/file/core.test.ts#replaced', sourceHash: 'v1', cacheDir };
    const markOf = (x: number): string => keyPaths(versionLayout(cacheDir, options.id, 'v1'), keyOfArguments([x])).mark;
    const fn = cachier(async (x: number) => {
      await fn.clearBeingCalculated();
      foreignMark(markOf(x), 60_000);
      return x * 2;
    }, options);
    expect(await fn(7)).toBe(14);
    expect(JSON.parse(readFileSync(markOf(7), 'utf8'))).toMatchObject({ token: 'elsewhere' });
  });
});

describe('file core: reload', () => {
  test('reload (the default) sees entries removed by another process', async () => {
    const { fn, counter, entryOf } = counted();
    await fn(1);
    writeFileSync(entryOf(1), '');
    await warningsDuring(() => fn(1));
    expect(counter.calls).toBe(2);
  });

  test('reload: false serves what this process read or wrote without looking at the disk again', async () => {
    const { fn, counter, entryOf } = counted({ reload: false });
    await fn(1);
    writeFileSync(entryOf(1), '');
    expect(await fn(1)).toEqual({ x: 1, square: 1 });
    expect(counter.calls).toBe(1);
  });
});

describe('file core: old source-hash versions', () => {
  test('a version unused for a day is removed when another version is written; a recent one stays', async () => {
    const { cacheDir } = freshPlace();
    const make = (sourceHash: string) => cachier(async (x: number) => x, { id: 'versions#f', sourceHash, cacheDir });
    await make('old')(1);
    await make('recent')(1);
    const old = versionLayout(cacheDir, 'versions#f', 'old');
    const recent = versionLayout(cacheDir, 'versions#f', 'recent');
    const longAgo = (Date.now() - UNUSED_VERSION_MS - 60_000) / 1000;
    utimesSync(old.usedStamp, longAgo, longAgo);
    await make('new')(1);
    await waitFor(() => readdirSync(old.functionDir).length === 2);
    expect(existsSync(old.versionDir)).toBe(false);
    expect(existsSync(recent.versionDir)).toBe(true);
  });
});

describe('file core: options', () => {
  test('CACHIER_DIR is the default folder', async () => {
    const { cacheDir } = freshPlace();
    const previous = process.env['CACHIER_DIR'];
    process.env['CACHIER_DIR'] = cacheDir;
    try {
      await cachier(async (x: number) => x, { id: 'env-dir', sourceHash: 'v1' })(1);
    } finally {
      process.env['CACHIER_DIR'] = previous;
    }
    expect(existsSync(versionLayout(cacheDir, 'env-dir', 'v1').versionDir)).toBe(true);
  });

  test('setDefaults({ cacheDir }) applies to functions without their own', async () => {
    const { cacheDir } = freshPlace();
    setDefaults({ cacheDir });
    await cachier(async (x: number) => x, { id: 'defaults-dir', sourceHash: 'v1' })(1);
    expect(existsSync(versionLayout(cacheDir, 'defaults-dir', 'v1').versionDir)).toBe(true);
  });

  test('separateFiles changes nothing: every entry already has its own file', async () => {
    const { fn, entryOf } = counted({ separateFiles: true });
    await fn(1);
    await fn(2);
    expect(existsSync(entryOf(1)) && existsSync(entryOf(2))).toBe(true);
  });

  test('values over entrySizeLimit are returned, not stored, with a warning', async () => {
    const { fn, counter } = counted({ entrySizeLimit: 10 });
    const warnings = await warningsDuring(async () => expect(await fn(1)).toEqual({ x: 1, square: 1 }));
    expect(warnings[0]?.message).toContain('entrySizeLimit');
    await fn(1);
    expect(counter.calls).toBe(2);
  });
});
