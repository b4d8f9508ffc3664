import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cachier, getDefaults, InvalidOptionError, resetDefaults, setDefaults } from '../../runtime/index.js';
import { installManualClock, sleep } from '../support/clock.js';
import { connectTestCollection } from '../support/mongo/connect.js';

// The controls Python cachier has, in our API (issue 12).

let nextId = 0;
const uniqueId = (): string => `reference-${process.pid}-${nextId++}`;

afterEach(() => {
  resetDefaults();
});

function counting(options: Parameters<typeof cachier>[1] = {}) {
  const counter = { calls: 0 };
  const cached = cachier((x: number) => `${x}:${++counter.calls}`, { backend: 'memory', id: uniqueId(), ...options });
  return { counter, cached };
}

describe('per-call overrides', () => {
  test('staleAfter: this call judges freshness by its own shelf life, longer or shorter', () => {
    const clock = installManualClock();
    const { cached } = counting({ staleAfter: '1m' });
    cached(1);
    clock.advance(5 * 60_000);
    expect(cached.withOptions({ staleAfter: '1h' })(1)).toBe('1:1');
    expect(cached.withOptions({ staleAfter: '1s' })(1)).toBe('1:2');
  });

  test('nextTime: this call serves the stale entry and refreshes in the background', async () => {
    const clock = installManualClock();
    const { counter, cached } = counting({ staleAfter: '1m' });
    cached(1);
    clock.advance(5 * 60_000);
    expect(cached.withOptions({ nextTime: true })(1)).toBe('1:1');
    await sleep(10);
    expect(counter.calls).toBe(2);
    expect(cached(1)).toBe('1:2');
  });

  // Python's test_max_age_with_next_time: stale_after=1s, next_time=True, an entry 1.1 s old, max_age=0.5 s.
  test('maxAge on a nextTime function serves the stale value and refreshes it in the background', async () => {
    const clock = installManualClock();
    const { counter, cached } = counting({ staleAfter: '1s', nextTime: true });
    expect(cached(1)).toBe('1:1');
    clock.advance(1_100);
    expect(cached.withOptions({ maxAge: 500 })(1)).toBe('1:1');
    expect(counter.calls).toBe(1);
    await sleep(10);
    expect(counter.calls).toBe(2);
    expect(cached(1)).toBe('1:2');
  });

  test('maxAge on a nextTime function serves an entry older than maxAge (though within staleAfter) and refreshes it', async () => {
    const clock = installManualClock();
    const { counter, cached } = counting({ staleAfter: '1h', nextTime: true });
    cached(1);
    clock.advance(5 * 60_000);
    expect(cached.withOptions({ maxAge: '1m' })(1)).toBe('1:1');
    await sleep(10);
    expect(counter.calls).toBe(2);
    expect(cached(1)).toBe('1:2');
  });

  test('allowUndefined: this call stores an undefined result', () => {
    let calls = 0;
    const cached = cachier(() => void calls++, { backend: 'memory', id: uniqueId() });
    cached.withOptions({ allowUndefined: true })();
    cached();
    expect(calls).toBe(1);
  });

  test('waitForCalcTimeout: this call stops waiting for the computation in flight', async () => {
    let calls = 0;
    const slow = cachier(
      async (x: number) => {
        calls++;
        await sleep(300);
        return x;
      },
      { backend: 'memory', id: uniqueId() },
    );
    const first = slow(1);
    expect(await slow.withOptions({ waitForCalcTimeout: '20ms' })(1)).toBe(1);
    expect(calls).toBe(2);
    await first;
  });

  test('debug: this call prints its decision to stderr', () => {
    const { cached } = counting();
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => void lines.push(line);
    try {
      cached.withOptions({ debug: true })(1);
      cached.withOptions({ debug: true })(1);
    } finally {
      console.error = original;
    }
    expect(lines).toEqual([
      expect.stringMatching(/^cachier reference-.*: key .*: miss$/),
      expect.stringMatching(/: hit \(computed \d+ms ago\)$/),
    ]);
  });

  test('a negative maxAge is rejected with the option that recomputes regardless of age', () => {
    const { cached } = counting();
    expect(() => cached.withOptions({ maxAge: -1 })).toThrow(InvalidOptionError);
    expect(() => cached.withOptions({ maxAge: -1 })).toThrow(/"maxAge": must not be negative, got -1; .*use overwriteCache: true/);
  });
});

describe('defaults', () => {
  test('setDefaults({ hash }) keys every function without its own hash', () => {
    setDefaults({ hash: ([order]) => (order as { id: string }).id });
    let calls = 0;
    const total = cachier((order: { id: string; note: string }) => `${order.id}:${++calls}`, { backend: 'memory', id: uniqueId() });
    expect(total({ id: 'a', note: 'x' })).toBe('a:1');
    expect(total({ id: 'a', note: 'other note, same key' })).toBe('a:1');
    const own = cachier((order: { id: string; note: string }) => `${order.note}:${++calls}`, {
      backend: 'memory',
      id: uniqueId(),
      hash: ([order]) => order.note,
    });
    expect(own({ id: 'a', note: 'x' })).toBe('x:2');
    expect(own({ id: 'b', note: 'x' })).toBe('x:2');
  });

  test('getDefaults() shows the effective value of every setting', () => {
    const home = process.env['CACHIER_DIR'] as string;
    expect(getDefaults()).toMatchObject({
      staleAfter: Infinity,
      nextTime: false,
      backend: 'file',
      cacheDir: home,
      reload: true,
      waitForCalcTimeout: 0,
      allowUndefined: false,
      lease: '30s',
      graceBackoff: '10s',
      strict: false,
      cleanupStale: false,
      cleanupInterval: '1d',
      metrics: true,
      metricsSamplingRate: 0.01,
    });
    setDefaults({ staleAfter: '1h', backend: 'memory' });
    expect(getDefaults()).toMatchObject({ staleAfter: '1h', backend: 'memory', nextTime: false });
  });
});

describe('precache', () => {
  test('answers the value it stored', async () => {
    const { cached } = counting();
    expect(await cached.precache([4], 'four')).toBe('four');
    expect(cached(4)).toBe('four');
  });
});

describe('shelf life from the value', () => {
  test('staleAfter as a function of the cached value (an HTTP max-age)', () => {
    const clock = installManualClock();
    let calls = 0;
    const fetchPage = cachier((url: string) => ({ url, body: `page ${++calls}`, maxAgeSeconds: url.endsWith('/live') ? 10 : 3600 }), {
      backend: 'memory',
      id: uniqueId(),
      staleAfter: (response) => response.maxAgeSeconds * 1000,
    });
    fetchPage('/live');
    fetchPage('/archive');
    clock.advance(60_000);
    expect(fetchPage('/live').body).toBe('page 3');
    expect(fetchPage('/archive').body).toBe('page 2');
  });

  test('a shelf-life function answering no duration is an error naming staleAfter', () => {
    const cached = cachier(() => 1, { backend: 'memory', id: uniqueId(), staleAfter: () => 'soon' });
    cached();
    expect(() => cached()).toThrow(/option "staleAfter": the function given as staleAfter returned soon/);
  });
});

describe.each(['memory', 'file', 'mongo'] as const)('deleteStale() and cleanupStale, %s backend', (backend) => {
  async function setUp(options: Parameters<typeof cachier>[1] = {}) {
    const db = backend === 'mongo' ? await connectTestCollection() : undefined;
    const clock = installManualClock();
    let calls = 0;
    const cached = cachier(async (x: number) => `${x}:${++calls}`, {
      id: uniqueId(),
      staleAfter: '1h',
      ...(backend === 'mongo'
        ? { backend, mongetter: () => db!.collection }
        : backend === 'file'
          ? { cacheDir: mkdtempSync(join(tmpdir(), 'cachier-stale-')) }
          : { backend }),
      ...options,
    });
    return { cached, clock, close: async () => db?.close() };
  }

  test('deleteStale() removes the entries older than staleAfter and keeps the fresh ones', async () => {
    const { cached, clock, close } = await setUp();
    try {
      await cached(1);
      await cached(2);
      clock.advance(2 * 3_600_000);
      await cached(3);
      expect(await cached.deleteStale()).toBe(2);
      expect((await cached.cacheInfo()).entries).toBe(1);
      expect(await cached(3)).toBe('3:3');
      expect(await cached(1)).toBe('1:4');
    } finally {
      await close();
    }
  });

  test('cleanupStale deletes stale entries in the background, from the first call on and at most once per cleanupInterval', async () => {
    const { cached, clock, close } = await setUp({ cleanupStale: true, cleanupInterval: '1d' });
    try {
      await cached(1);
      await cached(2);
      clock.advance(2 * 3_600_000);
      await cached(3);
      await sleep(50);
      expect((await cached.cacheInfo()).entries).toBe(3);
      clock.advance(86_400_000);
      await cached(4);
      await expect.poll(async () => (await cached.cacheInfo()).entries).toBe(1);
      expect(await cached(4)).toBe('4:4');
    } finally {
      await close();
    }
  });
});
