import { afterEach, describe, expect, test, vi } from 'vitest';
import { cachier, ComputeTimeoutError, InvalidOptionError, resetDefaults, type RedisClient } from '../../../runtime/index.js';
import { installManualClock, warningsDuring } from '../../support/clock.js';

// What a call does when its backend or its function fails or is slow (issue 22, engine side).

let nextId = 0;
const uniqueId = (): string => `engine-failures-${process.pid}-${nextId++}`;

afterEach(() => {
  vi.useRealTimers();
  resetDefaults();
});

/**
 * A Redis client whose server fails every command a call sends, recording
 * each; it answers SCAN (listing, which `cacheInfo()` uses) with no keys.
 */
function refusingRedis(): { client: RedisClient; commands: string[] } {
  const commands: string[] = [];
  const refuse = (command: string): Promise<unknown> => {
    if (command === 'SCAN') return Promise.resolve(['0', []]);
    commands.push(command);
    return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
  };
  const client: RedisClient = {
    call: refuse,
    callBuffer: refuse,
    duplicate: () => {
      throw new Error('no subscriber: the server refuses connections');
    },
  };
  return { client, commands };
}

describe('one backend failure per call, then compute', () => {
  test('a call whose read fails computes and returns without claiming, storing or waiting', async () => {
    const { client, commands } = refusingRedis();
    let calls = 0;
    const cached = cachier(async (x: number) => x * 10 + ++calls, { backend: 'redis', redis: client, id: uniqueId() });
    const warnings = await warningsDuring(async () => {
      expect(await cached(1)).toBe(11);
      expect(await cached(1)).toBe(12);
    });
    // The first call sends one GET and nothing after it: no claim (EVAL), no store (EVAL), no wait.
    // The second, within the circuit breaker's cool-down, sends nothing at all.
    expect(commands).toEqual(['GET']);
    expect(warnings.map((warning) => (warning as NodeJS.ErrnoException).code).sort()).toEqual([
      'CACHIER_BACKEND_DOWN',
      'CACHIER_BACKEND_FAILED',
    ]);
    expect(await cached.cacheInfo()).toMatchObject({ backendFailures: 2, computations: 2, backendState: 'down' });
  });

  test('the failed operations are counted in cacheInfo()', async () => {
    const cached = cachier(async (x: number) => x, { backend: 'memory', id: uniqueId() });
    expect(await cached.cacheInfo()).toMatchObject({ backendFailures: 0, backendState: 'up', servedStale: 0, computeTimeouts: 0 });
  });
});

/** A function of `x` that fails while `state.failing`, counting its calls. */
function flaky(options: Parameters<typeof cachier>[1]) {
  const state = { failing: false, calls: 0 };
  const cached = cachier(
    async (x: number): Promise<string> => {
      state.calls++;
      if (state.failing) throw new Error('upstream down');
      return `${x}:${state.calls}`;
    },
    { backend: 'memory', id: uniqueId(), staleAfter: '1m', ...options },
  );
  return { state, cached };
}

const codesOf = (warnings: Error[]): unknown[] => warnings.map((warning) => (warning as NodeJS.ErrnoException).code);

describe('grace', () => {
  test('a failing recomputation of a stale entry within grace serves the stale value, with CACHIER_SERVED_STALE', async () => {
    const clock = installManualClock();
    const { state, cached } = flaky({ grace: '10m' });
    expect(await cached(1)).toBe('1:1');
    clock.advance(5 * 60_000);
    state.failing = true;
    const warnings = await warningsDuring(async () => expect(await cached(1)).toBe('1:1'));
    expect(codesOf(warnings)).toEqual(['CACHIER_SERVED_STALE']);
    expect(warnings[0]?.message).toMatch(/upstream down.*within grace/);
    expect(state.calls).toBe(2);
    expect(await cached.cacheInfo()).toMatchObject({ servedStale: 1, staleHits: 1 });
  });

  test('past staleAfter + grace, the error reaches the caller', async () => {
    const clock = installManualClock();
    const { state, cached } = flaky({ grace: '10m' });
    await cached(1);
    clock.advance(11 * 60_000 + 1);
    state.failing = true;
    await expect(cached(1)).rejects.toThrow('upstream down');
  });

  test('without grace, the error reaches the caller as before', async () => {
    const clock = installManualClock();
    const { state, cached } = flaky({});
    await cached(1);
    clock.advance(2 * 60_000);
    state.failing = true;
    await expect(cached(1)).rejects.toThrow('upstream down');
  });

  test('with no entry at all, the error reaches the caller', async () => {
    installManualClock();
    const { state, cached } = flaky({ grace: '10m' });
    state.failing = true;
    await expect(cached(1)).rejects.toThrow('upstream down');
  });

  test('within graceBackoff the stale value is served at once without calling the function; after it, the function is tried again', async () => {
    const clock = installManualClock();
    const { state, cached } = flaky({ grace: '1h', graceBackoff: '30s' });
    await cached(1);
    clock.advance(2 * 60_000);
    state.failing = true;
    expect(await cached(1)).toBe('1:1');
    expect(state.calls).toBe(2);
    clock.advance(29_000);
    expect(await cached(1)).toBe('1:1');
    expect(await cached(1)).toBe('1:1');
    expect(state.calls).toBe(2);
    expect(await cached.cacheInfo()).toMatchObject({ servedStale: 3 });
    clock.advance(1_000);
    state.failing = false;
    expect(await cached(1)).toBe('1:3');
    expect(await cached(1)).toBe('1:3');
    expect(state.calls).toBe(3);
  });

  test('graceBackoff is per key: another key is still computed', async () => {
    const clock = installManualClock();
    const { state, cached } = flaky({ grace: '1h' });
    await cached(1);
    await cached(2);
    clock.advance(2 * 60_000);
    state.failing = true;
    expect(await cached(1)).toBe('1:1');
    await expect(cached(2)).resolves.toBe('2:2');
    expect(state.calls).toBe(4);
  });

  test('a sync function gets grace too', () => {
    const clock = installManualClock();
    let failing = false;
    let calls = 0;
    const cached = cachier(
      (x: number): number => {
        calls++;
        if (failing) throw new Error('upstream down');
        return x * 10;
      },
      { backend: 'memory', id: uniqueId(), staleAfter: '1m', grace: '1h' },
    );
    expect(cached(1)).toBe(10);
    clock.advance(2 * 60_000);
    failing = true;
    expect(cached(1)).toBe(10);
    expect(cached(1)).toBe(10);
    expect(calls).toBe(2);
  });
});

/** Resolves after `ms` of the faked timers. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` has settled, without waiting for it. */
function watch(promise: Promise<unknown>): { settled: boolean; outcome: Promise<unknown> } {
  const watched = { settled: false, outcome: promise };
  watched.outcome = promise.then(
    (value) => ((watched.settled = true), value),
    (error: unknown) => ((watched.settled = true), error),
  );
  return watched;
}

/**
 * With faked timers: a function of `x`, stale after a minute, with a 1 s
 * `timeout`, whose first call answers at once and every later one after 5 s.
 */
function slowRecomputation() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const state = { calls: 0 };
  const cached = cachier(
    async (x: number): Promise<string> => {
      const call = ++state.calls;
      if (call > 1) await sleep(5_000);
      return `${x}:${call}`;
    },
    { backend: 'memory', id: uniqueId(), staleAfter: '1m', timeout: '1s' },
  );
  return { state, cached };
}

describe('timeout (soft)', () => {
  test('past timeout with a stale value at hand, the call answers it; the computation goes on and stores its result', async () => {
    const clock = installManualClock();
    const { state, cached } = slowRecomputation();
    expect(await cached(1)).toBe('1:1');
    clock.advance(2 * 60_000);
    const call = watch(cached(1));
    await vi.advanceTimersByTimeAsync(999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await call.outcome).toBe('1:1');
    await vi.advanceTimersByTimeAsync(4_000);
    expect(await cached(1)).toBe('1:2');
    expect(state.calls).toBe(2);
    expect(await cached.cacheInfo()).toMatchObject({ servedStale: 1 });
  });

  test('a caller that joined a call in flight gets the stale value it found, timeout after its own start', async () => {
    const clock = installManualClock();
    const { state, cached } = slowRecomputation();
    await cached(1);
    clock.advance(2 * 60_000);
    const first = watch(cached(1));
    await vi.advanceTimersByTimeAsync(500);
    const joined = watch(cached(1));
    await vi.advanceTimersByTimeAsync(500);
    expect(await first.outcome).toBe('1:1');
    expect(joined.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(await joined.outcome).toBe('1:1');
    expect(state.calls).toBe(2);
  });

  test('without a stale value, the call waits for its value past timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const cached = cachier(
      async (x: number): Promise<number> => {
        await sleep(5_000);
        return x * 10;
      },
      { backend: 'memory', id: uniqueId(), timeout: '1s' },
    );
    const call = watch(cached(1));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await call.outcome).toBe(10);
  });
});

describe('hardTimeout', () => {
  test('a call with no value within hardTimeout rejects with ComputeTimeoutError; the computation goes on and stores', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let calls = 0;
    const cached = cachier(
      async (x: number): Promise<number> => {
        calls++;
        await sleep(5_000);
        return x * 10;
      },
      { backend: 'memory', id: uniqueId(), hardTimeout: '2s' },
    );
    const call = watch(cached(1));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await call.outcome;
    expect(error).toBeInstanceOf(ComputeTimeoutError);
    expect((error as Error).message).toMatch(/gave no value within hardTimeout \(2000ms\)/);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await cached(1)).toBe(10);
    expect(calls).toBe(1);
    expect(await cached.cacheInfo()).toMatchObject({ computeTimeouts: 1 });
  });

  test("a caller waiting for another caller's computation counts its own hardTimeout from its own start", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const cached = cachier(
      async (x: number): Promise<number> => {
        await sleep(5_000);
        return x * 10;
      },
      { backend: 'memory', id: uniqueId(), hardTimeout: '2s' },
    );
    const first = watch(cached(1));
    await vi.advanceTimersByTimeAsync(1_000);
    const second = watch(cached(1));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await first.outcome).toBeInstanceOf(ComputeTimeoutError);
    expect(second.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await second.outcome).toBeInstanceOf(ComputeTimeoutError);
  });

  test('a value within hardTimeout is answered as usual', async () => {
    const cached = cachier(async (x: number) => x * 10, { backend: 'memory', id: uniqueId(), hardTimeout: '2s', timeout: '1s' });
    expect(await cached(1)).toBe(10);
    expect(await cached(1)).toBe(10);
  });

  test('a sync function given timeout or hardTimeout is refused at wrap time', () => {
    for (const option of ['timeout', 'hardTimeout'] as const) {
      expect(() => cachier((x: number) => x, { backend: 'memory', id: uniqueId(), [option]: '1s' })).toThrow(InvalidOptionError);
      expect(() => cachier((x: number) => x, { backend: 'memory', id: uniqueId(), [option]: '1s' })).toThrow(
        new RegExp(`option "${option}": bounds async computations only; declare the function async`),
      );
    }
  });

  test('timeout and hardTimeout must be longer than 0ms', () => {
    expect(() => cachier(async (x: number) => x, { backend: 'memory', id: uniqueId(), hardTimeout: 0 })).toThrow(
      /"hardTimeout": must be longer than 0ms/,
    );
  });
});
