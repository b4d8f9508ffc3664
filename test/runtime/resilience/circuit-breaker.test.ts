import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { CacheCore, CoreLog } from '../../../runtime/core.js';
import { BackendError, BackendSkippedError, BackendTimeoutError, EntryTooLargeError } from '../../../runtime/index.js';
import { FIRST_COOL_DOWN_MS, LONGEST_COOL_DOWN_MS } from '../../../runtime/resilience/breaker.js';
import { breakerStateOf, guardCore } from '../../../runtime/resilience/guard.js';

// The guard around a server backend's core, on a scripted core and a fake
// clock: the breaker's states, cool-downs, probes and warnings, and the
// deadline. The same guard against real servers is in backend-faults.test.ts.

type Answer = 'ok' | 'fail' | 'hang' | 'too large';

function scriptedCore(answers: Answer[]) {
  const calls: string[] = [];
  const answer = (operation: string): Promise<undefined> => {
    calls.push(operation);
    const next = answers.shift() ?? 'ok';
    if (next === 'fail')
      return Promise.reject(new BackendError('cachier: server read failed: ECONNREFUSED', { cause: new Error('ECONNREFUSED') }));
    if (next === 'too large') return Promise.reject(new EntryTooLargeError('cachier: too large'));
    if (next === 'hang') return new Promise(() => undefined);
    return Promise.resolve(undefined);
  };
  const core: CacheCore = {
    backend: 'redis',
    sync: undefined,
    get: () => answer('get'),
    claim: () => answer('claim').then(() => ({ claimed: false })),
    renew: () => answer('renew'),
    store: () => answer('store').then(() => 0),
    release: () => answer('release'),
    waitForEntry: () => answer('wait'),
    clear: () => answer('clear'),
    clearBeingCalculated: () => answer('clear marks'),
    count: () => answer('count').then(() => 0),
    totalBytes: () => answer('total bytes').then(() => 0),
    deleteStale: () => answer('delete stale').then(() => 0),
    delete: () => answer('delete').then(() => false),
  };
  return { core, calls };
}

const warned: Array<{ message: string; code: string }> = [];
const log: CoreLog = { debugEnabled: false, debug: () => undefined, warn: (message, code) => warned.push({ message, code }) };

beforeEach(() => {
  vi.useFakeTimers();
  warned.length = 0;
});
afterEach(() => vi.useRealTimers());

const outcome = (answer: unknown) =>
  Promise.resolve(answer).then(
    () => 'ok',
    (error: unknown) => error,
  );

describe('circuit breaker', () => {
  test('a failure skips the backend at once for the cool-down, then one call probes it; success closes it with one warning each way', async () => {
    const { core, calls } = scriptedCore(['fail']);
    const guarded = guardCore(core, { connection: {}, timeoutMs: 2_000, log });
    expect(await outcome(guarded.get('k'))).toBeInstanceOf(BackendError);
    expect(breakerStateOf(guarded)).toEqual({ state: 'down', failures: 1 });
    const skipped = await outcome(guarded.claim('k'));
    expect(skipped).toBeInstanceOf(BackendSkippedError);
    expect((skipped as Error).message).toMatch(
      /skipped for \d+ms more \(circuit breaker, after a failure\).*last failure: server read failed: ECONNREFUSED/,
    );
    expect(calls).toEqual(['get']);

    vi.advanceTimersByTime(FIRST_COOL_DOWN_MS);
    const probe = guarded.get('k');
    expect(breakerStateOf(guarded)?.state).toBe('probing');
    // While one call probes, the others still skip.
    expect(await outcome(guarded.get('k'))).toBeInstanceOf(BackendSkippedError);
    expect(await outcome(probe)).toBe('ok');
    expect(breakerStateOf(guarded)).toEqual({ state: 'up', failures: 1 });
    expect(warned.map((warning) => warning.code)).toEqual(['CACHIER_BACKEND_DOWN', 'CACHIER_BACKEND_BACK']);
    expect(warned[0]?.message).toMatch(
      /the redis backend failed \(cachier: server read failed: ECONNREFUSED\); calls skip it and compute, trying it again after 1000ms/,
    );
    expect(warned[1]?.message).toMatch(/the redis backend answers again after 1000ms down/);
  });

  test('the cool-down doubles while probes keep failing, up to 30 s, and starts again at 1 s after a recovery', async () => {
    const answers: Answer[] = Array.from({ length: 9 }, () => 'fail' as const);
    const { core } = scriptedCore(answers);
    const guarded = guardCore(core, { connection: {}, timeoutMs: 2_000, log });
    await outcome(guarded.get('k'));
    const coolDowns: number[] = [];
    for (let probe = 0; probe < 8; probe++) {
      let waited = 0;
      while (await outcome(guarded.get('k')).then((error) => error instanceof BackendSkippedError)) {
        vi.advanceTimersByTime(500);
        waited += 500;
      }
      coolDowns.push(waited);
    }
    expect(coolDowns).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(coolDowns.at(-1)).toBe(LONGEST_COOL_DOWN_MS);
    expect(breakerStateOf(guarded)).toEqual({ state: 'down', failures: 9 });
    vi.advanceTimersByTime(LONGEST_COOL_DOWN_MS);
    expect(await outcome(guarded.get('k'))).toBe('ok');
    expect(await outcome(guarded.get('k'))).toBe('ok');
    answers.push('fail');
    await outcome(guarded.get('k'));
    vi.advanceTimersByTime(FIRST_COOL_DOWN_MS - 1);
    expect(await outcome(guarded.get('k'))).toBeInstanceOf(BackendSkippedError);
    vi.advanceTimersByTime(1);
    expect(await outcome(guarded.get('k'))).toBe('ok');
    expect(warned.filter((warning) => warning.code === 'CACHIER_BACKEND_DOWN')).toHaveLength(2);
    expect(warned.filter((warning) => warning.code === 'CACHIER_BACKEND_BACK')).toHaveLength(2);
  });

  test('one breaker per connection: every function on a failed connection skips it, other connections are untouched', async () => {
    const connection = {};
    const first = guardCore(scriptedCore(['fail']).core, { connection, timeoutMs: 2_000, log });
    const second = scriptedCore([]);
    const sameConnection = guardCore(second.core, { connection, timeoutMs: 2_000, log });
    const other = guardCore(scriptedCore([]).core, { connection: {}, timeoutMs: 2_000, log });
    await outcome(first.get('k'));
    expect(await outcome(sameConnection.get('k'))).toBeInstanceOf(BackendSkippedError);
    expect(second.calls).toEqual([]);
    expect(await outcome(other.get('k'))).toBe('ok');
  });

  test('a value refused for its size is not a backend failure', async () => {
    const guarded = guardCore(scriptedCore(['too large']).core, { connection: {}, timeoutMs: 2_000, log });
    expect(await outcome(guarded.store('k', { value: 1, computedAt: 0 }))).toBeInstanceOf(EntryTooLargeError);
    expect(breakerStateOf(guarded)).toEqual({ state: 'up', failures: 0 });
    expect(await outcome(guarded.get('k'))).toBe('ok');
  });
});

describe('backend deadline', () => {
  test('an operation with no answer within backendTimeout fails with BackendTimeoutError and opens the breaker', async () => {
    const guarded = guardCore(scriptedCore(['hang']).core, { connection: {}, timeoutMs: 2_000, log });
    const read = outcome(guarded.get('k'));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(breakerStateOf(guarded)?.state).toBe('up');
    await vi.advanceTimersByTimeAsync(1);
    const error = await read;
    expect(error).toBeInstanceOf(BackendTimeoutError);
    expect((error as Error).message).toMatch(/the redis backend did not answer \(read\) within 2000ms.*raise the backendTimeout option/);
    expect(breakerStateOf(guarded)?.state).toBe('down');
  });

  test('a wait for another caller has no deadline of its own, only its looks do', async () => {
    const { core } = scriptedCore(['hang']);
    let seen: number | undefined;
    const wait = core.waitForEntry;
    const spying: CacheCore = { ...core, waitForEntry: (key, options) => ((seen = options.lookTimeoutMs), wait(key, options)) };
    const guarded = guardCore(spying, { connection: {}, timeoutMs: 2_000, log });
    const waiting = outcome(guarded.waitForEntry('k', { timeoutMs: 0 }));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(seen).toBe(2_000);
    expect(breakerStateOf(guarded)?.state).toBe('up');
    void waiting;
  });
});
