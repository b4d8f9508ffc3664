import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, vi } from 'vitest';
import { cachier } from '../../../runtime/index.js';
import { backendTargets } from '../../support/backends/targets.js';
import { coreOn, counted, gate, keyFor, suiteFor } from '../../support/backends/suite.js';
import type { Machine } from '../../support/backends/machines.mjs';
import { RECENCY_RESOLUTION_MS } from '../../../runtime/backends/shared/bounds.js';

// Bounded caches (maxEntries, maxBytes) on every backend: a store beyond a
// bound evicts the least recently used entries, never the one just stored
// nor one in flight, and cacheInfo() counts the evictions. Backends that
// refresh recency with a write do it at most once per RECENCY_RESOLUTION_MS,
// so the tests wait that long between the stores and the hit they compare.
// The file core evicts after an async function's store has answered (its
// look runs on the thread pool): `settled` waits for that.
describe.each(backendTargets().map((target) => [target.backend, target] as const))('%s backend', (_, target) => {
  const { spec, machine, uniqueId } = suiteFor(target);

  /** Waits until the cache of `fn` holds at most `maxEntries` entries and its evictions account for every other store. */
  type Inspectable = { cacheInfo(): Promise<{ entries: number; evictions: number }> };
  const settled = async (fn: Inspectable, stores: number, maxEntries = Infinity) => {
    await vi.waitFor(
      async () => {
        const info = await fn.cacheInfo();
        expect(info.entries).toBeLessThanOrEqual(maxEntries);
        expect(info.evictions).toBe(stores - info.entries);
      },
      { timeout: 10_000, interval: 20 },
    );
    return fn.cacheInfo();
  };

  /** Whether the entry of `fn(x)` is stored, asked of a core without bounds, which changes no recency. */
  const storedOn = (m: Machine, id: string) => {
    const core = coreOn(m, id);
    return async (x: number): Promise<boolean> => (await core.get(keyFor(core, [x]))) !== undefined;
  };

  spec(
    'with maxEntries, a store beyond it evicts the least recently used entries; the entry just stored and the one hit since survive',
    async () => {
      const m = await machine();
      const id = uniqueId('max-entries');
      const { fn, calls } = counted(m, id, (x) => `v${x}`, { maxEntries: 5 });
      const stored = storedOn(m, id);
      for (let x = 0; x < 5; x++) await fn(x);
      expect((await fn.cacheInfo()).evictions).toBe(0);
      await sleep(RECENCY_RESOLUTION_MS + 100);
      expect(await fn(0)).toBe('v0');
      expect(calls.count).toBe(5);

      await fn(5);
      const info = await settled(fn, 6, 5);
      expect(info.evictions).toBeGreaterThanOrEqual(1);
      expect(await stored(0)).toBe(true);
      expect(await stored(5)).toBe(true);
      // Only entries stored before the hit, and never touched since, were evicted.
      const left = [];
      for (const x of [1, 2, 3, 4]) if (await stored(x)) left.push(x);
      expect(left).toHaveLength(info.entries - 2);

      for (let x = 6; x < 15; x++) {
        await fn(x);
        await settled(fn, x + 1, 5);
        expect(await stored(x)).toBe(true);
      }
      expect(calls.count).toBe(15);
    },
    undefined,
    60_000,
    // Known race, its own issue: on the file backend a look running in the background while the fifth store lands can
    // count that store twice and evict one entry early (seen once in a CI dry run); the bound is never exceeded.
    1,
  );

  spec(
    'on memory and redis, recency is exact: one store beyond maxEntries evicts exactly the least recently used entry',
    async () => {
      const m = await machine();
      const id = uniqueId('exact-lru');
      const { fn } = counted(m, id, (x) => x, { maxEntries: 3 });
      const stored = storedOn(m, id);
      for (const x of [0, 1, 2]) await fn(x);
      await fn(0);
      await fn(3);
      expect([await stored(0), await stored(1), await stored(2), await stored(3)]).toEqual([true, false, true, true]);
      expect((await fn.cacheInfo()).evictions).toBe(1);
    },
    () => (['memory', 'redis'].includes(target.backend) ? undefined : `${target.backend} evicts in batches, down to 90% of the bound`),
  );

  spec(
    'with maxBytes, the stored bytes stay within it, the entry just stored survives and the evictions are counted',
    async () => {
      const m = await machine();
      const id = uniqueId('max-bytes');
      const { fn } = counted(m, id, (x) => `${x}:${'x'.repeat(1_000)}`, { maxBytes: '4KB' });
      const stored = storedOn(m, id);
      for (let x = 0; x < 10; x++) {
        await fn(x);
        await settled(fn, x + 1);
        expect(await stored(x)).toBe(true);
        expect((await fn.cacheInfo()).totalBytes).toBeLessThanOrEqual(4_096);
      }
      expect((await fn.cacheInfo()).entries).toBeGreaterThanOrEqual(2);
    },
    undefined,
    60_000,
  );

  spec(
    'an entry being recomputed (in flight) is never evicted, though it is the least recently used',
    async () => {
      const m = await machine();
      const id = uniqueId('in-flight');
      const recomputing = gate<void>();
      let first = true;
      const { fn } = counted(
        m,
        id,
        async (x) => {
          if (x === 0 && !first) await recomputing.promise;
          if (x === 0) first = false;
          return `v${x}`;
        },
        { maxEntries: 3 },
      );
      const stored = storedOn(m, id);
      await fn(0);
      const overwrite = fn.withOptions({ overwriteCache: true })(0);
      await sleep(200);
      for (let x = 1; x < 8; x++) {
        await fn(x);
        await settled(fn, x + 1, 3);
      }
      expect(await stored(0)).toBe(true);
      expect((await fn.cacheInfo()).evictions).toBeGreaterThanOrEqual(4);
      recomputing.open();
      expect(await overwrite).toBe('v0');
    },
    undefined,
    60_000,
  );

  spec(
    "a sync function's cache is bounded too: its store evicts before it returns",
    async () => {
      const m = await machine();
      let calls = 0;
      const fn = cachier((x: number) => (calls++, x * 2), { ...m.options, id: uniqueId('sync'), sourceHash: 'v1', maxEntries: 3 });
      for (let x = 0; x < 10; x++) expect(fn(x)).toBe(x * 2);
      const info = await fn.cacheInfo();
      expect(info.entries).toBeLessThanOrEqual(3);
      expect(info.evictions).toBe(10 - info.entries);
      expect(fn(9)).toBe(18);
      expect(calls).toBe(10);
    },
    () => (target.backend === 'memory' || target.backend === 'file' ? undefined : `${target.backend} serves async functions only`),
  );

  spec('without bounds nothing is evicted and cacheInfo reports no evictions', async () => {
    const m = await machine();
    const { fn } = counted(m, uniqueId('unbounded'), (x) => x);
    for (let x = 0; x < 12; x++) await fn(x);
    const info = await fn.cacheInfo();
    expect(info.entries).toBe(12);
    expect(info.evictions).toBe(0);
  });
});
