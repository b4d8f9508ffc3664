import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeEntry } from '../../../../runtime/backends/file/entry-codec.js';
import { cachier } from '../../../../runtime/index.js';
import { computations, freshPlace, runWorker, startWorker, waitFor } from '../../../support/file-core/children.js';

const keysUpTo = (count: number): string[] => Array.from({ length: count }, (_, i) => `k${i}`);

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Every entry file under `cacheDir`, read back with the key it says it holds. */
function entryFilesOn(cacheDir: string): Array<{ path: string; readable: boolean }> {
  return readdirSync(cacheDir, { recursive: true, withFileTypes: true })
    .filter((file) => file.isFile() && /^[0-9a-f]{62}$/.test(file.name))
    .map((file) => {
      const path = join(file.parentPath, file.name);
      const bytes = readFileSync(path);
      const key = bytes.length >= 22 ? bytes.toString('utf8', 22, 22 + bytes.readUInt16LE(20)) : '';
      return { path, readable: decodeEntry(bytes, key).ok };
    });
}

function computationsPerKey(sideFile: string): Map<string, number> {
  const perKey = new Map<string, number>();
  for (const [, key] of computations(sideFile)) perKey.set(key, (perKey.get(key) ?? 0) + 1);
  return perKey;
}

describe('file core across processes', () => {
  test('two processes asking for one key at once: one computes, the other gets its value', async () => {
    const place = freshPlace();
    const config = { ...place, keys: ['only'], computeMs: 800 };
    const [first, second] = await Promise.all([runWorker(config), runWorker(config)]);
    expect(first.results).toEqual(['value-only']);
    expect(second.results).toEqual(['value-only']);
    expect(computations(place.sideFile)).toHaveLength(1);
  });

  test('forget(key) of a sync function in one process: the next process computes that key again and is served the others', async () => {
    const place = freshPlace();
    await runWorker({ ...place, keys: ['a', 'b'], sync: true });
    const work = cachier((key: string) => `here-${key}`, {
      backend: 'file',
      cacheDir: place.cacheDir,
      id: 'test/file-core#work',
      sourceHash: 'v1',
    });
    expect(await work.forget('a')).toBe(true);
    expect(await work.forget('a')).toBe(false);
    const next = await runWorker({ ...place, keys: ['a', 'b'], sync: true, prefix: 'next' });
    expect(next.results).toEqual(['next-a', 'value-b']);
    expect(computations(place.sideFile).map(([, key]) => key)).toEqual(['a', 'b', 'a']);
  });

  test('8 processes x 200 keys, each key asked by all: each computed once, all values right', async () => {
    const place = freshPlace();
    const keys = keysUpTo(200);
    const outputs = await Promise.all(
      Array.from({ length: 8 }, (_, worker) => runWorker({ ...place, keys: shuffled(keys, worker + 1), computeMs: 2, concurrency: 4 })),
    );
    for (const [worker, output] of outputs.entries()) {
      expect(output.results).toEqual(shuffled(keys, worker + 1).map((key) => `value-${key}`));
      expect(output.warnings).toEqual([]);
    }
    const perKey = computationsPerKey(place.sideFile);
    expect(perKey.size).toBe(200);
    expect([...perKey.values()].every((count) => count === 1)).toBe(true);
    // A last reader finds every entry on disk, intact.
    const reader = await runWorker({ ...place, keys });
    expect(reader.results).toEqual(keys.map((key) => `value-${key}`));
    expect(reader.warnings).toEqual([]);
    expect(computations(place.sideFile)).toHaveLength(200);
  }, 120_000);

  test('the computing process is killed with SIGKILL: one of its waiters computes the value, promptly', async () => {
    const place = freshPlace();
    const lease = 4_000;
    const owner = startWorker({ ...place, keys: ['k'], computeMs: 60_000, prefix: 'owner', options: { lease } });
    await waitFor(() => computations(place.sideFile).length === 1);
    const waiters = Array.from({ length: 3 }, () =>
      startWorker({ ...place, keys: ['k'], computeMs: 300, prefix: 'waiter', options: { lease } }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const killedAt = Date.now();
    owner.child.kill('SIGKILL');
    expect(await owner.exited).toBe('SIGKILL');
    for (const waiter of waiters) expect((await waiter.done).results).toEqual(['waiter-k']);
    expect(Date.now() - killedAt).toBeLessThan(lease + 5_000);
    // The waiters all found the dead mark; exactly one took it over, the others waited for it.
    const pids = computations(place.sideFile).map(([pid]) => pid);
    expect(pids).toHaveLength(2);
    expect(pids[0]).toBe(String(owner.child.pid));
  });

  test('an async computation longer than its lease renews it, so waiters keep waiting', async () => {
    const place = freshPlace();
    const options = { lease: 1_500 };
    const owner = startWorker({ ...place, keys: ['k'], computeMs: 4_500, prefix: 'owner', options });
    await waitFor(() => computations(place.sideFile).length === 1);
    const waiter = await runWorker({ ...place, keys: ['k'], prefix: 'waiter', options });
    expect(waiter.results).toEqual(['owner-k']);
    expect((await owner.done).results).toEqual(['owner-k']);
    expect(computations(place.sideFile)).toHaveLength(1);
  });

  test('sync functions wait across processes for the value another process computes', async () => {
    const place = freshPlace();
    const owner = startWorker({ ...place, keys: ['k'], computeMs: 1_500, sync: true, prefix: 'owner' });
    await waitFor(() => computations(place.sideFile).length === 1);
    const waiter = await runWorker({ ...place, keys: ['k'], sync: true, prefix: 'waiter' });
    expect(waiter.results).toEqual(['owner-k']);
    expect((await owner.done).results).toEqual(['owner-k']);
    expect(computations(place.sideFile)).toHaveLength(1);
  });

  test('a stale entry is recomputed once by the process whose clock says it is stale', async () => {
    const place = freshPlace();
    const options = { staleAfter: '1h' };
    expect((await runWorker({ ...place, keys: ['k'], prefix: 'a', options })).results).toEqual(['a-k']);
    const later = { CLOCK_OFFSET_MS: String(2 * 3_600_000) };
    expect((await runWorker({ ...place, keys: ['k'], prefix: 'b', options }, later)).results).toEqual(['b-k']);
    expect((await runWorker({ ...place, keys: ['k'], prefix: 'c', options }, later)).results).toEqual(['b-k']);
    expect(computations(place.sideFile)).toHaveLength(2);
  });

  test('with nextTime, a process serves the stale value and refreshes it once in the background', async () => {
    const place = freshPlace();
    const options = { staleAfter: '1h', nextTime: true };
    await runWorker({ ...place, keys: ['k'], prefix: 'a', options });
    const later = { CLOCK_OFFSET_MS: String(2 * 3_600_000) };
    const stale = await runWorker({ ...place, keys: ['k', 'k'], prefix: 'b', options, waitForRefresh: 300 }, later);
    expect(stale.results).toEqual(['a-k', 'a-k']);
    const refreshed = await runWorker({ ...place, keys: ['k'], prefix: 'c', options }, later);
    expect(refreshed.results).toEqual(['b-k']);
    expect(computations(place.sideFile).map(([, key]) => key)).toEqual(['k', 'k']);
  });

  test('processes killed at random instants while writing leave every entry readable or absent', async () => {
    const place = freshPlace();
    const keys = keysUpTo(300);
    const padding = 20_000;
    let random = 7;
    for (let round = 0; round < 6; round++) {
      const before = computations(place.sideFile).length;
      const writer = startWorker({ ...place, keys, prefix: `gen${round}`, padding, overwrite: true, concurrency: 4 });
      random = (random * 48271) % 2147483647;
      await waitFor(() => computations(place.sideFile).length > before);
      await new Promise((resolve) => setTimeout(resolve, random % 200));
      writer.child.kill('SIGKILL');
      await writer.exited;
    }
    const files = entryFilesOn(place.cacheDir);
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => !file.readable)).toEqual([]);
    const reader = await runWorker({ ...place, keys, prefix: 'fresh', padding });
    expect(reader.warnings).toEqual([]);
    for (const [index, value] of reader.results.entries()) {
      expect(value).toMatch(new RegExp(`^(gen\\d|fresh)-${keys[index]}\\.{${padding}}$`));
    }
  }, 120_000);

  test('clearCache while other processes read and write: they keep getting right values, with no warnings', async () => {
    const place = freshPlace();
    const keys = keysUpTo(300);
    const same = { id: 'test/file-core#work', sourceHash: 'v1', cacheDir: place.cacheDir };
    const clearer = cachier(async (key: string) => `value-${key}`, same);
    const readers = [1, 2].map(() => startWorker({ ...place, keys: [...keys, ...keys, ...keys], concurrency: 2 }));
    let clears = 0;
    while (readers.some((reader) => reader.child.exitCode === null) && clears < 50) {
      await clearer.clearCache();
      clears++;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    for (const reader of readers) {
      const output = await reader.done;
      expect(output.warnings).toEqual([]);
      expect(output.results).toEqual([...keys, ...keys, ...keys].map((key) => `value-${key}`));
    }
    expect(clears).toBeGreaterThan(1);
  });
});
