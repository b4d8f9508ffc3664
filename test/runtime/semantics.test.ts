import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cachier, resetDefaults } from '../../runtime/index.js';
import { installManualClock, sleep, warningsDuring, type ManualClock } from '../support/clock.js';

let clock: ManualClock;
let nextId = 0;
const uniqueId = (): string => `semantics-${process.pid}-${nextId++}`;

beforeEach(() => {
  clock = installManualClock();
});
afterEach(() => {
  resetDefaults();
});

/** An async function that counts its calls and answers `value-<n>` after a short delay. */
function countingAsync(delayMs = 5) {
  const counter = { calls: 0 };
  const fn = async function compute(input: string): Promise<string> {
    const call = ++counter.calls;
    await sleep(delayMs);
    return `${input}-${call}`;
  };
  return { counter, fn };
}

describe('hits and misses', () => {
  test('a miss computes and a repeat call is served from the cache', async () => {
    const { counter, fn } = countingAsync();
    const cached = cachier(fn, { backend: 'memory', id: uniqueId() });
    expect(await cached('a')).toBe('a-1');
    expect(await cached('a')).toBe('a-1');
    expect(counter.calls).toBe(1);
    expect(await cached('b')).toBe('b-2');
    expect(counter.calls).toBe(2);
  });

  test('a sync function stays sync and an async one returns a promise, hit or miss', async () => {
    const sync = cachier((x: number) => x * 2, { backend: 'memory', id: uniqueId() });
    expect(sync(2)).toBe(4);
    expect(sync(2)).toBe(4);
    const asyncFn = cachier(async (x: number) => x * 2, { backend: 'memory', id: uniqueId() });
    const miss = asyncFn(2);
    expect(miss).toBeInstanceOf(Promise);
    await miss;
    const hit = asyncFn(2);
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toBe(4);
  });

  test('100 concurrent calls for one key compute once and all get the value', async () => {
    const { counter, fn } = countingAsync(20);
    const cached = cachier(fn, { backend: 'memory', id: uniqueId() });
    const results = await Promise.all(Array.from({ length: 100 }, () => cached('k')));
    expect(counter.calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['k-1']));
  });

  test('two wrappers of the same id in one process share entries and wait for each other', async () => {
    const { counter, fn } = countingAsync(50);
    const id = uniqueId();
    const first = cachier(fn, { backend: 'memory', id });
    const second = cachier(fn, { backend: 'memory', id });
    const [a, b] = await Promise.all([first('x'), second('x')]);
    expect([a, b]).toEqual(['x-1', 'x-1']);
    expect(counter.calls).toBe(1);
  });

  test('a waiter whose key is taken over again and again keeps waiting: never two computations of one key at once', async () => {
    // Each computer stores nothing (undefined), so every waiter woken by its end
    // races for the key and one wins: the last of five callers sees four computers
    // in turn, more than the engine once waited for before computing alongside one.
    let running = 0;
    let mostAtOnce = 0;
    const fn = async (): Promise<undefined> => {
      mostAtOnce = Math.max(mostAtOnce, ++running);
      await sleep(10);
      running--;
      return undefined;
    };
    const id = uniqueId();
    const callers = Array.from({ length: 5 }, () => cachier(fn, { backend: 'memory', id }));
    await Promise.all(callers.map((caller) => caller()));
    expect(mostAtOnce).toBe(1);
  });

  test('a waiter gives up after waitForCalcTimeout and computes itself', async () => {
    const { counter, fn } = countingAsync(400);
    const id = uniqueId();
    const slow = cachier(fn, { backend: 'memory', id });
    const impatient = cachier(fn, { backend: 'memory', id, waitForCalcTimeout: '50ms' });
    const slowResult = slow('x');
    await sleep(5);
    expect(await impatient('x')).toBe('x-2');
    expect(await slowResult).toBe('x-1');
    expect(counter.calls).toBe(2);
  });

  test('a computation longer than its lease keeps its mark, so a waiter still gets its value', async () => {
    const { counter, fn } = countingAsync(400);
    const id = uniqueId();
    const first = cachier(fn, { backend: 'memory', id, lease: '100ms' });
    const second = cachier(fn, { backend: 'memory', id, lease: '100ms' });
    const firstCall = first('x');
    await sleep(5);
    expect(await second('x')).toBe('x-1');
    expect(await firstCall).toBe('x-1');
    expect(counter.calls).toBe(1);
  });

  test('undefined is not stored unless allowUndefined is set', async () => {
    let calls = 0;
    const plain = cachier(() => void calls++, { backend: 'memory', id: uniqueId() });
    plain();
    plain();
    expect(calls).toBe(2);
    const allowing = cachier(() => void calls++, { backend: 'memory', id: uniqueId(), allowUndefined: true });
    allowing();
    allowing();
    expect(calls).toBe(3);
  });

  test('null is stored like any other value', () => {
    let calls = 0;
    const cached = cachier(() => (calls++, null), { backend: 'memory', id: uniqueId() });
    expect(cached()).toBeNull();
    expect(cached()).toBeNull();
    expect(calls).toBe(1);
  });

  test('different ids never share entries', () => {
    const a = cachier((x: number) => `a${x}`, { backend: 'memory', id: uniqueId() });
    const b = cachier((x: number) => `b${x}`, { backend: 'memory', id: uniqueId() });
    expect(a(1)).toBe('a1');
    expect(b(1)).toBe('b1');
  });

  test('a new source hash does not see the entries of the old one', () => {
    const id = uniqueId();
    const v1 = cachier((x: number) => `v1-${x}`, { backend: 'memory', id, sourceHash: 'one' });
    expect(v1(1)).toBe('v1-1');
    const v2 = cachier((x: number) => `v2-${x}`, { backend: 'memory', id, sourceHash: 'two' });
    expect(v2(1)).toBe('v2-1');
  });
});

describe('shelf life', () => {
  test('a stale entry is recomputed and the new value returned', async () => {
    const { counter, fn } = countingAsync();
    const cached = cachier(fn, { backend: 'memory', id: uniqueId(), staleAfter: '1h' });
    expect(await cached('a')).toBe('a-1');
    clock.advance(59 * 60_000);
    expect(await cached('a')).toBe('a-1');
    clock.advance(2 * 60_000);
    expect(await cached('a')).toBe('a-2');
    expect(await cached('a')).toBe('a-2');
    expect(counter.calls).toBe(2);
  });

  test('with nextTime a stale entry is served at once and refreshed exactly once in the background', async () => {
    const { counter, fn } = countingAsync(30);
    const cached = cachier(fn, { backend: 'memory', id: uniqueId(), staleAfter: '1m', nextTime: true });
    expect(await cached('a')).toBe('a-1');
    clock.advance(2 * 60_000);
    const stale = await Promise.all(Array.from({ length: 20 }, () => cached('a')));
    expect(new Set(stale)).toEqual(new Set(['a-1']));
    expect(await cached('a')).toBe('a-1');
    await sleep(100);
    expect(counter.calls).toBe(2);
    expect(await cached('a')).toBe('a-2');
    expect(counter.calls).toBe(2);
  });

  test('with nextTime a failed background refresh keeps serving the stale value and warns', async () => {
    let fail = false;
    const cached = cachier(
      async () => {
        if (fail) throw new Error('upstream down');
        return 'good';
      },
      { backend: 'memory', id: uniqueId(), staleAfter: '1m', nextTime: true },
    );
    expect(await cached()).toBe('good');
    fail = true;
    clock.advance(120_000);
    const warnings = await warningsDuring(async () => {
      expect(await cached()).toBe('good');
      await sleep(30);
    });
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/background refresh failed: upstream down/);
    expect(await cached()).toBe('good');
  });

  test('staleAfter accepts milliseconds', () => {
    let calls = 0;
    const cached = cachier(() => ++calls, { backend: 'memory', id: uniqueId(), staleAfter: 1000 });
    expect(cached()).toBe(1);
    clock.advance(1000);
    expect(cached()).toBe(1);
    clock.advance(1);
    expect(cached()).toBe(2);
  });
});

describe('errors', () => {
  test('a thrown error is not cached and reaches every concurrent caller', async () => {
    let calls = 0;
    const cached = cachier(
      async (x: number) => {
        calls++;
        await sleep(20);
        if (calls === 1) throw new Error(`boom ${x}`);
        return x;
      },
      { backend: 'memory', id: uniqueId() },
    );
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => cached(7)));
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'boom 7')).toBe(true);
    expect(calls).toBe(1);
    expect(await cached(7)).toBe(7);
    expect(calls).toBe(2);
  });

  test('a sync function that throws stores nothing', () => {
    let calls = 0;
    const cached = cachier(
      (x: number) => {
        calls++;
        if (calls === 1) throw new RangeError('first call fails');
        return x;
      },
      { backend: 'memory', id: uniqueId() },
    );
    expect(() => cached(1)).toThrow(RangeError);
    expect(cached(1)).toBe(1);
    expect(cached(1)).toBe(1);
    expect(calls).toBe(2);
  });

  test('an unkeyable argument to an async function rejects instead of throwing', async () => {
    const cached = cachier(async (f: () => void) => typeof f, { backend: 'memory', id: uniqueId() });
    const outcome = cached(() => undefined);
    expect(outcome).toBeInstanceOf(Promise);
    await expect(outcome).rejects.toThrow(/argument 1 is a function/);
  });
});

describe('values', () => {
  test('the memory backend keeps live values: the same object comes back', async () => {
    const cached = cachier(async () => ({ list: [1] }), { backend: 'memory', id: uniqueId() });
    expect(await cached()).toBe(await cached());
  });

  test('a result over entrySizeLimit is returned but not stored, with a warning', async () => {
    let calls = 0;
    const cached = cachier(() => 'x'.repeat(2048) + String(calls++), {
      backend: 'memory',
      id: uniqueId(),
      entrySizeLimit: '1KB',
    });
    const warnings = await warningsDuring(() => {
      expect(cached()).toHaveLength(2049);
      expect(cached()).toHaveLength(2049);
    });
    expect(calls).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/over the entrySizeLimit of 1024 bytes/);
  });
});

describe('functions that return promises without being declared async', () => {
  test('are handled as async once seen, with one warning saying to declare them async', async () => {
    let calls = 0;
    const cached = cachier((x: number) => Promise.resolve(x + ++calls), { backend: 'memory', id: uniqueId() });
    const warnings = await warningsDuring(async () => {
      expect(await cached(1)).toBe(2);
      const hit = cached(1);
      expect(hit).toBeInstanceOf(Promise);
      expect(await hit).toBe(2);
      expect(await cached(5)).toBe(7);
    });
    expect(warnings.map((warning) => warning.message)).toEqual([
      expect.stringMatching(/: the function returns a Promise but is not declared async; declare it async/),
    ]);
    expect(calls).toBe(2);
  });
});

describe('warnings', () => {
  test('a problem that repeats with other numbers warns once', async () => {
    let size = 2000;
    const cached = cachier(() => 'x'.repeat(size++), { backend: 'memory', id: uniqueId(), entrySizeLimit: '1KB' });
    const warnings = await warningsDuring(() => {
      for (let i = 0; i < 5; i++) cached();
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/the result is 20\d\d bytes, over the entrySizeLimit of 1024 bytes/);
  });
});
