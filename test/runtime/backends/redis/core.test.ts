import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { cachier } from '../../../../runtime/index.js';
import { TestRedisServer, type RestartableServer } from '../../../support/servers/servers.mjs';

// What is particular to the redis backend; the behaviour every backend shares
// is in backend-conformance*.test.ts. This suite counts connections, so it
// runs on a server of its own.
const available = inject('redisServer');
let server: RestartableServer;
let redis: Redis;

beforeAll(async () => {
  if ('skip' in available) return;
  server = await TestRedisServer.start();
  redis = new Redis(server.address, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const keysMatching = async (pattern: string): Promise<string[]> =>
  ((await redis.scan('0', 'MATCH', pattern, 'COUNT', 10_000)) as [string, string[]])[1];
const subscribers = async (): Promise<number> =>
  String(await redis.call('CLIENT', 'LIST'))
    .split('\n')
    .filter((line) => / sub=[1-9]/.test(line)).length;

describe.skipIf('skip' in available)('redis backend', () => {
  test('an entry is one key that Redis evicts 2 x staleAfter after it is stored; a mark expires with its lease', async () => {
    let open = (_value: number): void => undefined;
    const fn = cachier(async (x: number) => new Promise<number>((resolve) => (open = () => resolve(x))), {
      backend: 'redis',
      redis,
      id: 'ttl',
      sourceHash: 'v1',
      staleAfter: '1h',
      lease: '10s',
    });
    const pending = fn(1);
    await vi.waitFor(async () => expect(await keysMatching('cachier:{ttl}:v1:m:*')).toHaveLength(1));
    const [mark] = await keysMatching('cachier:{ttl}:v1:m:*');
    expect(await redis.pttl(mark!)).toBeGreaterThan(0);
    expect(await redis.pttl(mark!)).toBeLessThanOrEqual(10_000);
    open(1);
    await pending;
    expect(await keysMatching('cachier:{ttl}:v1:m:*')).toEqual([]);
    const entries = await keysMatching('cachier:{ttl}:v1:e:*');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^cachier:\{ttl\}:v1:e:[\w-]{43}$/);
    expect(await redis.pttl(entries[0]!)).toBeGreaterThan(2 * 3_600_000 - 60_000);
    expect(await redis.pttl(entries[0]!)).toBeLessThanOrEqual(2 * 3_600_000);

    const forever = cachier(async (x: number) => x, { backend: 'redis', redis, id: 'no-ttl', sourceHash: 'v1' });
    await forever(1);
    const [kept] = await keysMatching('cachier:{no-ttl}:v1:e:*');
    expect(await redis.pttl(kept!)).toBe(-1);
  });

  test('an entry whose staleAfter is a function of the value expires 2 x the shelf life that value was given', async () => {
    const fn = cachier(async (minutes: number) => ({ minutes }), {
      backend: 'redis',
      redis,
      id: 'ttl-of-value',
      sourceHash: 'v1',
      staleAfter: (value) => value.minutes * 60_000,
    });
    await fn(10);
    await fn(120);
    const ttls = await Promise.all((await keysMatching('cachier:{ttl-of-value}:v1:e:*')).map((key) => redis.pttl(key)));
    const [short, long] = ttls.sort((a, b) => a - b);
    expect(short).toBeGreaterThan(2 * 10 * 60_000 - 60_000);
    expect(short).toBeLessThanOrEqual(2 * 10 * 60_000);
    expect(long).toBeGreaterThan(2 * 120 * 60_000 - 60_000);
    expect(long).toBeLessThanOrEqual(2 * 120 * 60_000);
  });

  test('entries of an older source hash get at most a day to live once a new hash stores', async () => {
    await cachier(async (x: number) => x, { backend: 'redis', redis, id: 'versions', sourceHash: 'v1' })(1);
    const [old] = await keysMatching('cachier:{versions}:v1:e:*');
    expect(await redis.pttl(old!)).toBe(-1);
    await cachier(async (x: number) => x + 1, { backend: 'redis', redis, id: 'versions', sourceHash: 'v2' })(1);
    expect(await redis.pttl(old!)).toBeGreaterThan(0);
    expect(await redis.pttl(old!)).toBeLessThanOrEqual(24 * 3_600_000);
  });

  test('waiters share one subscriber connection, woken by the store, and it closes once nobody waits', async () => {
    const owner = new Redis(server.address, { maxRetriesPerRequest: 1 });
    try {
      let open = (_value: string): void => undefined;
      const computing = cachier(async () => new Promise<string>((resolve) => (open = resolve)), {
        backend: 'redis',
        redis: owner,
        id: 'pubsub',
        sourceHash: 'v1',
      });
      const waiting = cachier(async () => 'waiter computed', { backend: 'redis', redis, id: 'pubsub', sourceHash: 'v1' });
      const pending = computing();
      await vi.waitFor(async () => expect(await keysMatching('cachier:{pubsub}:v1:m:*')).toHaveLength(1));
      const waiters = [waiting(), waiting(), waiting()];
      await vi.waitFor(async () => expect(await subscribers()).toBe(1));
      open('owner computed');
      expect(await Promise.all(waiters)).toEqual(['owner computed', 'owner computed', 'owner computed']);
      await pending;
      await vi.waitFor(async () => expect(await subscribers()).toBe(0));
    } finally {
      owner.disconnect();
    }
  });
});
