import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cachier, CircularCallError, InvalidOptionError, resetDefaults, setDefaults } from '../../runtime/index.js';
import { keyOfArguments } from '../../runtime/keys.js';
import { keyPaths, versionLayout } from '../../runtime/backends/file/layout.js';
import { installManualClock, sleep, warningsDuring } from '../support/clock.js';
import { connectTestCollection } from '../support/mongo/connect.js';

// One test per case of issue 12: inputs that gave another function's value or hung.

let nextId = 0;
const uniqueId = (): string => `defects-${process.pid}-${nextId++}`;
const freshDir = (): string => mkdtempSync(join(tmpdir(), 'cachier-defects-'));

afterEach(() => {
  resetDefaults();
});

describe('two functions never share one cache', () => {
  test('closures made by a named factory are refused without an id, and told apart with one', () => {
    const scaleBy = (k: number) =>
      cachier(
        function scale(x: number) {
          return x * k;
        },
        { backend: 'memory' },
      );
    expect(() => scaleBy(2)).toThrow(InvalidOptionError);
    expect(() => scaleBy(2)).toThrow(/option "id": .*inside scaleBy\(\).*give each its own id/);
    const scaleById = (k: number) =>
      cachier(
        function scale(x: number) {
          return x * k;
        },
        { backend: 'memory', id: `scale-by-${k}` },
      );
    expect(scaleById(2)(5)).toBe(10);
    expect(scaleById(3)(5)).toBe(15);
  });

  test('closures made by an anonymous callback: the second one deriving the same identity is refused (file backend too)', () => {
    const cacheDir = freshDir();
    const make = [2, 3].map(
      (k) => () =>
        cachier(
          function scale(x: number) {
            return x * k;
          },
          { cacheDir },
        ),
    );
    const first = make[0]!();
    expect(first(5)).toBe(10);
    expect(() => make[1]!()).toThrow(/option "id": another function with the same text already uses the derived cache id .*#scale/);
  });

  test('wrapping the same function twice is the same cache, not a conflict', () => {
    function twice(x: number) {
      return x * 2;
    }
    const a = cachier(twice, { backend: 'memory' });
    const b = cachier(twice, { backend: 'memory' });
    expect(a(4)).toBe(8);
    expect(b(4)).toBe(8);
  });

  test('bound functions carry arguments the cache cannot see: refused without an id', () => {
    function add(a: number, b = 0) {
      return a + b;
    }
    expect(() => cachier(add.bind(null, 1), { backend: 'memory' })).toThrow(/option "id": .*bound function/);
    const one = cachier(add.bind(null, 1), { backend: 'memory', id: uniqueId() });
    const three = cachier(add.bind(null, 3), { backend: 'memory', id: uniqueId() });
    expect(one()).toBe(1);
    expect(three()).toBe(3);
  });

  test('native functions show no source: refused without an id', () => {
    expect(() => cachier(Math.sqrt, { backend: 'memory' })).toThrow(/option "id": .*native code/);
    expect(cachier(Math.sqrt, { backend: 'memory', id: uniqueId() })(16)).toBe(4);
  });
});

describe('same-process waits end', () => {
  test('two concurrent callers, waitForCalcTimeout 100 ms, a 600 ms computation: two computations', async () => {
    let calls = 0;
    const slow = cachier(
      async (x: number) => {
        calls++;
        await sleep(600);
        return x;
      },
      { backend: 'memory', id: uniqueId(), waitForCalcTimeout: 100 },
    );
    const [a, b] = await Promise.all([slow(1), slow(1)]);
    expect([a, b]).toEqual([1, 1]);
    expect(calls).toBe(2);
    expect((await slow.cacheInfo()).waitTimeouts).toBe(1);
  });

  test('a first call that never settles does not block later calls past waitForCalcTimeout', async () => {
    let calls = 0;
    const cached = cachier(
      (x: number): Promise<number> => (++calls === 1 ? new Promise<number>(() => undefined) : Promise.resolve(x * 10)),
      { backend: 'memory', id: uniqueId(), waitForCalcTimeout: '50ms' },
    );
    void cached(1);
    expect(await cached(1)).toBe(10);
  });

  test("clearBeingCalculated() releases callers waiting on this process's own computation", async () => {
    let calls = 0;
    const cached = cachier(async (x: number): Promise<number> => (++calls === 1 ? new Promise<number>(() => undefined) : x * 10), {
      backend: 'memory',
      id: uniqueId(),
    });
    void cached(1);
    const waiting = cached(1);
    await sleep(20);
    await cached.clearBeingCalculated();
    expect(await waiting).toBe(10);
  });
});

describe('re-entry fails fast', () => {
  test('an async function calling itself with the same arguments rejects with CircularCallError', async () => {
    const loop: (x: number) => Promise<number> = cachier(async (x: number) => (await loop(x)) + 1, {
      cacheDir: freshDir(),
      id: uniqueId(),
    });
    await expect(loop(1)).rejects.toThrow(CircularCallError);
    await expect(loop(2)).rejects.toThrow(/calls itself with the same arguments/);
  });

  test('re-entry through other functions is detected too', async () => {
    const viaOther = async (x: number): Promise<number> => outer(x);
    const outer: (x: number) => Promise<number> = cachier(async (x: number) => (await viaOther(x)) + 1, {
      backend: 'memory',
      id: uniqueId(),
    });
    await expect(outer(1)).rejects.toThrow(CircularCallError);
  });

  test('an async function calling itself after an await is detected too (from its async stack trace)', async () => {
    const loop: (x: number) => Promise<number> = cachier(
      async (x: number) => {
        await sleep(1);
        return (await loop(x)) + 1;
      },
      { cacheDir: freshDir(), id: uniqueId() },
    );
    await expect(loop(1)).rejects.toThrow(CircularCallError);
  });

  test('re-entry after awaits through other async functions is detected too', async () => {
    const viaOther = async (x: number): Promise<number> => {
      await sleep(1);
      return outer(x);
    };
    const outer: (x: number) => Promise<number> = cachier(
      async (x: number) => {
        await sleep(1);
        const [value] = await Promise.all([viaOther(x)]);
        return value + 1;
      },
      { backend: 'memory', id: uniqueId() },
    );
    await expect(outer(1)).rejects.toThrow(CircularCallError);
  });

  test('a concurrent caller of the same key, outside the computation, waits for it instead', async () => {
    let calls = 0;
    const slow = cachier(
      async (x: number) => {
        await sleep(20);
        return x * 10 + ++calls;
      },
      { backend: 'memory', id: uniqueId() },
    );
    const first = slow(1);
    await sleep(5);
    expect(await Promise.all([first, slow(1)])).toEqual([11, 11]);
  });

  test('a sync function calling itself with the same arguments throws CircularCallError', () => {
    const loop: (x: number) => number = cachier((x: number): number => loop(x) + 1, { backend: 'memory', id: uniqueId() });
    expect(() => loop(1)).toThrow(CircularCallError);
  });

  test('recursion with other arguments still works', async () => {
    const fib: (n: number) => Promise<number> = cachier(
      async (n: number): Promise<number> => (n < 2 ? n : (await fib(n - 1)) + (await fib(n - 2))),
      { backend: 'memory', id: uniqueId() },
    );
    expect(await fib(20)).toBe(6765);
  });
});

describe('sync nextTime', () => {
  test('a stale value is returned at once and refreshed after the call returns', async () => {
    const clock = installManualClock();
    let calls = 0;
    const cached = cachier(() => ++calls, { backend: 'memory', id: uniqueId(), staleAfter: '1m', nextTime: true });
    expect(cached()).toBe(1);
    clock.advance(120_000);
    expect(cached()).toBe(1);
    expect(calls).toBe(1);
    await sleep(10);
    expect(calls).toBe(2);
    expect(cached()).toBe(2);
  });

  test('a failing refresh keeps the stale value and warns instead of throwing', async () => {
    const clock = installManualClock();
    let fail = false;
    const cached = cachier(
      () => {
        if (fail) throw new Error('upstream down');
        return 'good';
      },
      { backend: 'memory', id: uniqueId(), staleAfter: '1m', nextTime: true },
    );
    expect(cached()).toBe('good');
    fail = true;
    clock.advance(120_000);
    const warnings = await warningsDuring(() => {
      expect(cached()).toBe('good');
    });
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual(['CACHIER_REFRESH_FAILED']);
    expect(cached()).toBe('good');
  });
});

describe('clock', () => {
  test('an entry stamped in the future (the clock was ahead) is stale', () => {
    let now = 1_700_000_000_000 + 30 * 86_400_000;
    setDefaults({ clock: () => now });
    let calls = 0;
    const cached = cachier(() => ++calls, { backend: 'memory', id: uniqueId(), staleAfter: '1h' });
    expect(cached()).toBe(1);
    now -= 30 * 86_400_000;
    expect(cached()).toBe(2);
    expect(cached()).toBe(2);
  });

  test('a few seconds of skew between machines is tolerated', () => {
    let now = 1_700_000_000_000;
    setDefaults({ clock: () => now });
    let calls = 0;
    const cached = cachier(() => ++calls, { backend: 'memory', id: uniqueId(), staleAfter: '1h' });
    expect(cached()).toBe(1);
    now -= 2_000;
    expect(cached()).toBe(1);
  });
});

describe('options', () => {
  test('a mongetter without a backend selects the mongo backend', async () => {
    const db = await connectTestCollection();
    try {
      const cached = cachier(async (x: number) => x + 1, { mongetter: () => db.collection, id: uniqueId() });
      expect(await cached(1)).toBe(2);
      expect(await cached.cacheInfo()).toMatchObject({ backend: 'mongo', entries: 1 });
      expect(() => cachier((x: number) => x, { mongetter: () => db.collection, id: uniqueId() })).toThrow(
        /'mongo' serves async functions only/,
      );
      expect(() => cachier(async () => 1, { backend: 'file', mongetter: () => db.collection })).toThrow(InvalidOptionError);
    } finally {
      await db.close();
    }
  });

  test.each([
    ['cacheDir', (dir: string) => cachier(async () => 1, { id: uniqueId(), cacheDir: dir })],
    [
      'CACHIER_DIR',
      (dir: string) => {
        process.env['CACHIER_DIR'] = dir;
        return cachier(async () => 1, { id: uniqueId() });
      },
    ],
  ])('a leading ~ in %s is the home folder', async (_, wrap) => {
    const home = freshDir();
    const saved = { HOME: process.env['HOME'], CACHIER_DIR: process.env['CACHIER_DIR'] };
    process.env['HOME'] = home;
    try {
      const cached = wrap('~/tilde-cache');
      await cached();
      expect(readdirSync(join(home, 'tilde-cache')).length).toBeGreaterThan(0);
      expect(existsSync(join(process.cwd(), '~'))).toBe(false);
    } finally {
      process.env['HOME'] = saved.HOME;
      process.env['CACHIER_DIR'] = saved.CACHIER_DIR;
    }
  });
});

describe('file backend: things in the way', () => {
  function fileCached(cacheDir: string) {
    const id = uniqueId();
    const counter = { calls: 0 };
    const fn = cachier(
      async (x: number) => {
        counter.calls++;
        return x * 2;
      },
      { cacheDir, id, sourceHash: 'v1' },
    );
    const entryOf = (x: number): string => keyPaths(versionLayout(cacheDir, id, 'v1'), keyOfArguments([x])).entry;
    return { fn, counter, entryOf };
  }

  test('a folder where an entry file should be is replaced by the entry', async () => {
    const { fn, counter, entryOf } = fileCached(freshDir());
    mkdirSync(join(entryOf(1), 'stranger'), { recursive: true });
    const warnings = await warningsDuring(async () => {
      expect(await fn(1)).toBe(2);
      expect(await fn(1)).toBe(2);
      expect(await fn(1)).toBe(2);
    });
    expect(counter.calls).toBe(1);
    expect(warnings.length).toBeLessThanOrEqual(1);
  });

  test('a backend failing the same way on every call warns once, though each message names a new random thing', async () => {
    const cached = cachier(async (x: number) => x * 2, {
      id: uniqueId(),
      backend: 'mongo',
      mongetter: () => Promise.reject(new Error(`connect ECONNREFUSED (attempt ${randomUUID()})`)),
    });
    const warnings = await warningsDuring(async () => {
      for (let i = 0; i < 3; i++) expect(await cached(1)).toBe(2);
    });
    // One warning of the function's failed call, and one of the connection's circuit breaker going down.
    expect(warnings.map((warning) => (warning as Error & { code?: string }).code).sort()).toEqual([
      'CACHIER_BACKEND_DOWN',
      'CACHIER_BACKEND_FAILED',
    ]);
  });
});
