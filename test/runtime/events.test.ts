import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { cachier, cachierChannels, resetDefaults, type RedisClient } from '../../runtime/index.js';
import { Observer } from '../../runtime/engine/observer.js';
import type { CallContext } from '../../runtime/engine/context.js';
import { installManualClock } from '../support/clock.js';

let nextId = 0;
const uniqueId = (): string => `events-${process.pid}-${nextId++}`;

type ChannelName = keyof typeof cachierChannels;
type Seen = { readonly channel: ChannelName; readonly message: Record<string, unknown> };

const subscriptions: Array<[string, (message: unknown) => void]> = [];

/** Subscribes to every cachier channel; answers the messages of function `id`, in order. */
function listen(id: string): Seen[] {
  const seen: Seen[] = [];
  for (const [kind, name] of Object.entries(cachierChannels) as Array<[ChannelName, string]>) {
    const listener = (message: unknown): void => {
      if ((message as { id?: string }).id === id) seen.push({ channel: kind, message: message as Record<string, unknown> });
    };
    subscribe(name, listener);
    subscriptions.push([name, listener]);
  }
  return seen;
}

afterEach(() => {
  for (const [name, listener] of subscriptions.splice(0)) unsubscribe(name, listener);
  resetDefaults();
  vi.restoreAllMocks();
});

const kinds = (seen: Seen[]): ChannelName[] => seen.map((event) => event.channel);

describe('events on node:diagnostics_channel', () => {
  test('the channels have documented, stable names', () => {
    expect(cachierChannels).toEqual({
      hit: 'cachier:hit',
      miss: 'cachier:miss',
      staleHit: 'cachier:stale-hit',
      computationStarted: 'cachier:computation-started',
      computationFinished: 'cachier:computation-finished',
      computationFailed: 'cachier:computation-failed',
      wait: 'cachier:wait',
      eviction: 'cachier:eviction',
      backendError: 'cachier:backend-error',
    });
  });

  test('a miss, a computation and a hit publish their messages with the id, backend, key and durations', async () => {
    const id = uniqueId();
    const seen = listen(id);
    const square = cachier(async (x: number) => x * x, { backend: 'memory', id });
    await square(3);
    await square(3);
    expect(kinds(seen)).toEqual(['miss', 'computationStarted', 'computationFinished', 'hit']);
    const [miss, started, finished, hit] = seen.map((event) => event.message);
    expect(miss).toEqual({ id, backend: 'memory', key: expect.any(String) });
    expect(started).toEqual(miss);
    expect(finished).toEqual({ ...miss, durationMs: expect.any(Number) });
    expect(finished?.['durationMs']).toBeGreaterThanOrEqual(0);
    expect(hit).toEqual({ ...miss, ageMs: expect.any(Number) });
    await square(4);
    expect(seen.at(-1)?.message['key']).not.toBe(miss?.['key']);
  });

  test('a stale entry publishes a stale hit with its age and what the call does with it', async () => {
    const clock = installManualClock();
    const id = uniqueId();
    const seen = listen(id);
    const cached = cachier((x: number) => x, { backend: 'memory', id, staleAfter: '1s' });
    cached(1);
    clock.advance(5_000);
    cached(1);
    const stale = seen.find((event) => event.channel === 'staleHit');
    expect(stale?.message).toEqual({ id, backend: 'memory', key: expect.any(String), ageMs: 5_000, action: 'recompute' });
    expect(kinds(seen)).toEqual([
      'miss',
      'computationStarted',
      'computationFinished',
      'staleHit',
      'computationStarted',
      'computationFinished',
    ]);
  });

  test('a failed computation publishes its duration and error, and no finish', async () => {
    const id = uniqueId();
    const seen = listen(id);
    const failure = new Error('upstream down');
    const cached = cachier(
      async () => {
        throw failure;
      },
      { backend: 'memory', id },
    );
    await expect(cached()).rejects.toBe(failure);
    expect(kinds(seen)).toEqual(['miss', 'computationStarted', 'computationFailed']);
    expect(seen[2]?.message).toEqual({ id, backend: 'memory', key: expect.any(String), durationMs: expect.any(Number), error: failure });
  });

  test('a call joining a computation in flight publishes a wait when it receives the value', async () => {
    const id = uniqueId();
    const seen = listen(id);
    let finish: (value: string) => void = () => undefined;
    const cached = cachier(async () => new Promise<string>((resolve) => (finish = resolve)), { backend: 'memory', id });
    const first = cached();
    const second = cached();
    await new Promise((resolve) => setTimeout(resolve, 30));
    finish('done');
    expect(await Promise.all([first, second])).toEqual(['done', 'done']);
    const wait = seen.find((event) => event.channel === 'wait');
    expect(wait?.message).toEqual({
      id,
      backend: 'memory',
      key: expect.any(String),
      joined: true,
      outcome: 'received',
      durationMs: expect.any(Number),
    });
    expect(wait?.message['durationMs']).toBeGreaterThanOrEqual(20);
  });

  test('a caller waiting for another one that holds the key publishes how the wait ended', async () => {
    const id = uniqueId();
    const seen = listen(id);
    let finish: (value: string) => void = () => undefined;
    const holder = cachier(async () => new Promise<string>((resolve) => (finish = resolve)), { backend: 'memory', id, sourceHash: 'h' });
    const impatient = cachier(async () => 'impatient', { backend: 'memory', id, sourceHash: 'h', waitForCalcTimeout: '50ms' });
    const held = holder();
    expect(await impatient()).toBe('impatient');
    finish('held');
    await held;
    const wait = seen.find((event) => event.channel === 'wait');
    expect(wait?.message).toMatchObject({ id, backend: 'memory', joined: false, outcome: 'timed out' });
    expect(wait?.message['durationMs']).toBeGreaterThanOrEqual(45);
  });

  test('a failing backend publishes a backend error naming the operation and the key, and the call computes', async () => {
    const id = uniqueId();
    const seen = listen(id);
    const refuse = (): Promise<never> => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    const client: RedisClient = {
      call: refuse,
      callBuffer: refuse,
      duplicate: () => {
        throw new Error('no subscriber: the server refuses connections');
      },
    };
    const cached = cachier(async (x: number) => x + 1, { backend: 'redis', redis: client, id });
    expect(await cached(1)).toBe(2);
    const failure = seen.find((event) => event.channel === 'backendError');
    expect(failure?.message).toEqual({ id, backend: 'redis', key: expect.any(String), operation: 'read', error: expect.any(Error) });
    expect(String((failure?.message['error'] as Error | undefined)?.message)).toMatch(/ECONNREFUSED/);
    expect(kinds(seen)).toContain('computationFinished');
  });

  test('evicted(count) publishes an eviction with the function and backend', () => {
    const id = uniqueId();
    const seen = listen(id);
    const observer = new Observer(id, { debugEnabled: false, debug: () => undefined, warn: () => undefined });
    observer.backend = 'file';
    observer.evicted(3);
    expect(seen).toEqual([{ channel: 'eviction', message: { id, backend: 'file', count: 3 } }]);
  });

  test('without subscribers nothing is published, and no message is built', async () => {
    const publishes = Object.values(cachierChannels).map((name) => vi.spyOn(channel(name), 'publish'));
    const cached = cachier(async (x: number) => x, { backend: 'memory', id: uniqueId() });
    await cached(1);
    await cached(1);
    for (const publish of publishes) expect(publish).not.toHaveBeenCalled();

    // A message names the call's key: reading it is the first step of building one.
    let keyReads = 0;
    const observer = new Observer(uniqueId(), { debugEnabled: false, debug: () => undefined, warn: () => undefined });
    const context = {
      environment: { core: { backend: 'memory' } },
      settings: { debug: false },
      get key() {
        keyReads++;
        return 'k';
      },
      startedAt: undefined,
    } as unknown as CallContext;
    observer.hit(context, 1);
    observer.miss(context);
    observer.computing(context);
    observer.computed(context, 1);
    expect(keyReads).toBe(0);
    const listener = (): void => undefined;
    subscribe(cachierChannels.hit, listener);
    subscriptions.push([cachierChannels.hit, listener]);
    observer.hit(context, 1);
    expect(keyReads).toBe(1);
  });
});
