import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, vi } from 'vitest';
import { cachier, setDefaults, type CachierOptions } from '../../../runtime/index.js';
import { backendTargets } from '../../support/backends/targets.js';
import { coreOn, counted, gate, keyFor, racyClaimsReason, suiteFor } from '../../support/backends/suite.js';
import type { Machine } from '../../support/backends/machines.mjs';

// One set of behaviour tests that every backend runs. A "machine" is a
// wrapper with its own client connection, as another host would have; the
// cross-process, outage and restart behaviour is in backend-conformance-servers.test.ts.
describe.each(backendTargets().map((target) => [target.backend, target] as const))('%s backend', (_, target) => {
  const { spec, machine, uniqueId, expectWarning } = suiteFor(target);

  spec('a miss computes and stores; a hit returns the stored value without calling the function', async () => {
    const { fn, calls } = counted(await machine(), uniqueId('square'), (x) => ({
      square: x * x,
      at: new Date(0),
      tags: new Set(['a']),
      big: 2n ** 70n,
    }));
    const first = await fn(4);
    const second = await fn(4);
    expect(second).toEqual({ square: 16, at: new Date(0), tags: new Set(['a']), big: 2n ** 70n });
    expect(second).toEqual(first);
    expect(calls.count).toBe(1);
    await fn(5);
    expect(calls.count).toBe(2);
    expect((await fn.cacheInfo()).entries).toBe(2);
  });

  spec('an entry a call reported as stored is served to another machine', async () => {
    const id = uniqueId('stored');
    const a = counted(await machine(), id, (x): number | string => x + 1);
    await a.fn(1);
    await a.fn.precache([2], 'precached');
    const b = counted(await machine(), id, (x): number | string => x - 1);
    expect(await b.fn(1)).toBe(2);
    expect(await b.fn(2)).toBe('precached');
    expect(b.calls.count).toBe(0);
  });

  spec('a stale entry is recomputed; with nextTime it is served at once and refreshed in the background', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const m = await machine();
    const stale = counted(m, uniqueId('stale'), (x) => `${x}@${now}`, { staleAfter: '1h' });
    const first = await stale.fn(1);
    now += 30 * 60_000;
    expect(await stale.fn(1)).toBe(first);
    now += 60 * 60_000;
    expect(await stale.fn(1)).toBe(`1@${now}`);
    expect(stale.calls.count).toBe(2);

    const next = counted(m, uniqueId('next-time'), (x) => `${x}@${now}`, { staleAfter: '1h', nextTime: true });
    const old = await next.fn(1);
    now += 2 * 60 * 60_000;
    expect(await next.fn(1)).toBe(old);
    await vi.waitFor(async () => expect(await next.fn(1)).toBe(`1@${now}`), { timeout: 10_000 });
    expect(next.calls.count).toBe(2);
  });

  spec(
    'two machines seeing the same stale entry with nextTime refresh it once',
    async () => {
      let now = Date.parse('2030-01-01T00:00:00Z');
      setDefaults({ clock: () => now });
      const id = uniqueId('refresh-once');
      let computations = 0;
      const wrap = (m: Machine) =>
        cachier(
          async (x: number) => {
            computations++;
            await sleep(1_000);
            return `${x}@${now}`;
          },
          { ...m.options, id, sourceHash: 'v1', staleAfter: '1h', nextTime: true },
        );
      const [a, b] = [wrap(await machine()), wrap(await machine())];
      const first = await a(1);
      now += 2 * 60 * 60_000;
      expect(await a(1)).toBe(first);
      expect(await b(1)).toBe(first);
      await vi.waitFor(async () => expect(await a(1)).toBe(`1@${now}`), { timeout: 15_000 });
      expect(await b(1)).toBe(`1@${now}`);
      expect(computations).toBe(2);
    },
    () => racyClaimsReason(target),
  );

  spec("one function's entries are never served to another with the same arguments", async () => {
    const m = await machine();
    const f = counted(m, uniqueId('f'), (x) => `f${x}`);
    const g = counted(m, uniqueId('g'), (x) => `g${x}`);
    expect(await f.fn(1)).toBe('f1');
    expect(await g.fn(1)).toBe('g1');
    expect(await f.fn(1)).toBe('f1');
    expect([f.calls.count, g.calls.count]).toEqual([1, 1]);
  });

  spec('a new source hash never serves entries of the old one, and the old code keeps its own', async () => {
    const m = await machine();
    const id = uniqueId('evolving');
    const v1 = counted(m, id, (x) => `v1:${x}`);
    await v1.fn(1);
    const v2 = counted(m, id, (x) => `v2:${x}`, { sourceHash: 'v2' });
    expect(await v2.fn(1)).toBe('v2:1');
    expect(await v2.fn(1)).toBe('v2:1');
    expect(v2.calls.count).toBe(1);
    if (target.backend !== 'memory') {
      // A rolling deploy: the old code still running elsewhere is served its recent entries.
      expect(await v1.fn(1)).toBe('v1:1');
      expect(v1.calls.count).toBe(1);
    }
  });

  spec('an error thrown by the function is not cached and leaves no mark that would make others wait', async () => {
    const id = uniqueId('throws');
    let fail = true;
    const a = counted(await machine(), id, (x) => {
      if (fail) throw new Error('boom');
      return x;
    });
    await expect(a.fn(1)).rejects.toThrow('boom');
    fail = false;
    const b = counted(await machine(), id, (x) => x * 10);
    expect(await b.fn(1)).toBe(10);
    expect((await b.fn.cacheInfo()).waits).toBe(0);
  });

  spec('undefined is not stored unless allowUndefined', async () => {
    const m = await machine();
    const plain = counted(m, uniqueId('undefined'), () => undefined);
    await plain.fn(1);
    await plain.fn(1);
    expect(plain.calls.count).toBe(2);
    const allowed = counted(m, uniqueId('undefined-allowed'), () => undefined, { allowUndefined: true });
    await allowed.fn(1);
    await allowed.fn(1);
    expect(allowed.calls.count).toBe(1);
  });

  spec('a result over entrySizeLimit is returned, not stored, with a warning', async () => {
    const { fn, calls } = counted(await machine(), uniqueId('too-big'), (x) => 'x'.repeat(10_000 + x), { entrySizeLimit: '1KB' });
    expect(await fn(1)).toHaveLength(10_001);
    expect(await fn(1)).toHaveLength(10_001);
    expect(calls.count).toBe(2);
    expect((await fn.cacheInfo()).entries).toBe(0);
    await expectWarning((warning) => warning.code === 'CACHIER_NOT_STORED' && /entrySizeLimit/.test(warning.message));
  });

  spec(
    'an entry whose stored bytes cannot be read counts as missing, with a warning, and is replaced',
    async () => {
      const id = uniqueId('garbled');
      const { fn, calls } = counted(await machine(), id, (x) => x * 3);
      await fn(2);
      await target.garble?.(target.address(), id);
      expect(await fn(2)).toBe(6);
      expect(calls.count).toBe(2);
      await expectWarning((warning) => warning.code === 'CACHIER_UNREADABLE_ENTRY');
      expect(await fn(2)).toBe(6);
      expect(calls.count).toBe(2);
    },
    () => (target.garble ? undefined : 'memory entries are live values, never bytes that could be garbled'),
  );

  spec("clearCache removes this function's entries and leaves other functions' entries", async () => {
    const m = await machine();
    const f = counted(m, uniqueId('clear-f'), (x) => x);
    const g = counted(m, uniqueId('clear-g'), (x) => x);
    await Promise.all([f.fn(1), f.fn(2), g.fn(1)]);
    await f.fn.clearCache();
    expect((await f.fn.cacheInfo()).entries).toBe(0);
    expect((await g.fn.cacheInfo()).entries).toBe(1);
    await g.fn(1);
    expect(g.calls.count).toBe(1);
    await f.fn(1);
    expect(f.calls.count).toBe(3);
  });

  spec('clearCache leaves functions whose ids only start like its own', async () => {
    const m = await machine();
    const id = uniqueId('prefix');
    const owner = counted(m, id, (x) => x);
    const others = [`${id}}:x`, `${id}:e:x`, `${id}/x`, `${id}*`].map((other) => counted(m, other, (x) => x));
    await owner.fn(1);
    for (const other of others) await other.fn(1);
    await owner.fn.clearCache();
    for (const other of others) expect((await other.fn.cacheInfo()).entries).toBe(1);
    expect((await owner.fn.cacheInfo()).entries).toBe(0);
  });

  spec('while one machine computes a key, another waits for its value instead of computing it', async () => {
    const id = uniqueId('waiting');
    const slow = gate<string>();
    const a = counted(await machine(), id, () => slow.promise);
    const pending = a.fn(1);
    await vi.waitFor(() => expect(a.calls.count).toBe(1));
    const b = counted(await machine(), id, () => 'b computed');
    const waiting = b.fn(1);
    await vi.waitFor(async () => expect((await b.fn.cacheInfo()).waits).toBe(1));
    slow.open('a computed');
    expect(await waiting).toBe('a computed');
    expect(await pending).toBe('a computed');
    expect(b.calls.count).toBe(0);
  });

  spec('a computation longer than its lease renews it, so another machine waits for it instead of computing the key again', async () => {
    const id = uniqueId('renewed');
    const slow = gate<string>();
    const a = counted(await machine(), id, () => slow.promise, { lease: '1s' });
    const pending = a.fn(1);
    await vi.waitFor(() => expect(a.calls.count).toBe(1));
    await sleep(2_500);
    const b = counted(await machine(), id, () => 'b computed', { lease: '1s' });
    const waiting = b.fn(1);
    await vi.waitFor(async () => expect((await b.fn.cacheInfo()).waits).toBe(1));
    await sleep(1_500);
    slow.open('a computed');
    expect(await waiting).toBe('a computed');
    expect(await pending).toBe('a computed');
    expect(b.calls.count).toBe(0);
  });

  spec('deleteStale removes the stale entries and keeps the fresh ones, which are still served', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn, calls } = counted(await machine(), uniqueId('delete-stale'), (x) => `${x}@${now}`, { staleAfter: '1h' });
    await fn(1);
    await fn(2);
    now += 2 * 60 * 60_000;
    await fn(3);
    expect(await fn.deleteStale()).toBe(2);
    expect((await fn.cacheInfo()).entries).toBe(1);
    expect(await fn(3)).toBe(`3@${now}`);
    expect(calls.count).toBe(3);
    expect(await fn.deleteStale()).toBe(0);
  });

  spec('a shelf life read from the value decides what deleteStale removes', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn } = counted(await machine(), uniqueId('delete-stale-of-value'), (minutes) => ({ minutes }), {
      staleAfter: (value: { minutes: number }) => value.minutes * 60_000,
    } as CachierOptions);
    await fn(10);
    await fn(120);
    now += 60 * 60_000;
    expect(await fn.deleteStale()).toBe(1);
    expect((await fn.cacheInfo()).entries).toBe(1);
  });

  spec('cacheInfo().totalBytes counts the bytes of the stored values, and 0 once cleared', async () => {
    const { fn } = counted(await machine(), uniqueId('total-bytes'), (x) => Buffer.alloc(10_000, x));
    await fn(1);
    await fn(2);
    const { totalBytes } = await fn.cacheInfo();
    expect(totalBytes).toBeGreaterThanOrEqual(20_000);
    expect(totalBytes).toBeLessThan(20_000 + 2 * 1_024);
    await fn.clearCache();
    expect((await fn.cacheInfo()).totalBytes).toBe(0);
  });

  spec("a core's delete removes one key's entry and answers whether there was one", async () => {
    const m = await machine();
    const id = uniqueId('delete');
    const { fn, calls } = counted(m, id, (x) => x * 2);
    await fn(1);
    await fn(2);
    const core = coreOn(m, id);
    const key = keyFor(core, [1]);
    expect(await core.delete(key)).toBe(true);
    expect(await core.delete(key)).toBe(false);
    expect((await fn.cacheInfo()).entries).toBe(1);
    expect(await fn(2)).toBe(4);
    expect(calls.count).toBe(2);
    expect(await fn(1)).toBe(2);
    expect(calls.count).toBe(3);
  });

  spec('forget(...args) removes the entry of exactly these arguments for every machine, and answers whether there was one', async () => {
    const id = uniqueId('forget');
    const a = counted(await machine(), id, (x) => `a${x}`);
    await a.fn(1);
    await a.fn(2);
    const b = counted(await machine(), id, (x) => `b${x}`);
    expect(await b.fn.forget(1)).toBe(true);
    expect(await b.fn.forget(1)).toBe(false);
    expect(await a.fn.forget(3)).toBe(false);
    expect((await a.fn.cacheInfo()).entries).toBe(1);
    expect(await a.fn(2)).toBe('a2');
    expect(await a.fn(1)).toBe('a1');
    expect(a.calls.count).toBe(3);
    expect(await b.fn(1)).toBe('a1');
    expect(b.calls.count).toBe(0);
  });

  spec(
    'a computation forgotten while in flight is not served: the next call computes at once, and the old value is not stored',
    async () => {
      const slow = gate<string>();
      let started = 0;
      const { fn, calls } = counted(await machine(), uniqueId('forget-in-flight'), (x): string | Promise<string> =>
        ++started === 1 ? slow.promise : `${x} new`,
      );
      const pending = fn(1);
      await vi.waitFor(() => expect(calls.count).toBe(1));
      expect(await fn.forget(1)).toBe(false);
      expect(await fn(1)).toBe('1 new');
      expect(calls.count).toBe(2);
      slow.open('1 old');
      expect(await pending).toBe('1 old');
      expect(await fn(1)).toBe('1 new');
      expect((await fn.cacheInfo()).waits).toBe(0);
    },
  );

  spec('clearBeingCalculated lets the next caller compute instead of waiting for the marked computation', async () => {
    const id = uniqueId('marks');
    const slow = gate<string>();
    const a = counted(await machine(), id, () => slow.promise);
    const pending = a.fn(1);
    await vi.waitFor(() => expect(a.calls.count).toBe(1));
    const b = counted(await machine(), id, () => 'b computed');
    await b.fn.clearBeingCalculated();
    expect(await b.fn(1)).toBe('b computed');
    expect((await b.fn.cacheInfo()).waits).toBe(0);
    slow.open('a computed');
    expect(await pending).toBe('a computed');
  });

  spec('a caller waits at most waitForCalcTimeout for another machine, then computes itself', async () => {
    const id = uniqueId('wait-timeout');
    const slow = gate<string>();
    const a = counted(await machine(), id, () => slow.promise);
    const pending = a.fn(1);
    await vi.waitFor(() => expect(a.calls.count).toBe(1));
    const impatient = counted(await machine(), id, () => 'impatient', { waitForCalcTimeout: '300ms' });
    expect(await impatient.fn(1)).toBe('impatient');
    slow.open('slow');
    expect(await pending).toBe('slow');
  });

  spec(
    'machines racing on the same keys compute each key once',
    async () => {
      const id = uniqueId('racing');
      let computations = 0;
      const machines = await Promise.all([1, 2, 3].map(() => machine()));
      const wrappers = machines.map((m) =>
        cachier(async (x: number) => ({ x, computation: ++computations }), { ...m.options, id, sourceHash: 'v1' }),
      );
      const keys = Array.from({ length: 10 }, (_, i) => i);
      const results = await Promise.all(wrappers.flatMap((fn) => keys.map((x) => fn(x))));
      expect(results.map((result) => result.x)).toEqual(wrappers.flatMap(() => keys));
      expect(computations).toBe(keys.length);
      expect((await wrappers[0]!.cacheInfo()).entries).toBe(keys.length);
    },
    () => racyClaimsReason(target),
  );
});
