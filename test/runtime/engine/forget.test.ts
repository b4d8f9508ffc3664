import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describe, expect, expectTypeOf, inject, test, vi } from 'vitest';
import { cachier, cacheOf, UnkeyableArgumentError, type RedisClient } from '../../../runtime/index.js';

let nextId = 0;
const uniqueId = (): string => `forget-${process.pid}-${nextId++}`;

/** A promise and the function that resolves it. */
function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open = (_value: T): void => undefined;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

describe('forget(...args)', () => {
  test('removes the entry of exactly these arguments and answers whether there was one; other entries stay', async () => {
    let calls = 0;
    const add = cachier((a: number, b: number) => `${a}+${b}#${++calls}`, { backend: 'memory', id: uniqueId() });
    expect(add(1, 2)).toBe('1+2#1');
    expect(add(2, 1)).toBe('2+1#2');
    const forgetting = add.forget(1, 2);
    expect(forgetting).toBeInstanceOf(Promise);
    expect(await forgetting).toBe(true);
    expect(await add.forget(1, 2)).toBe(false);
    expect(await add.forget(9, 9)).toBe(false);
    expect(add(2, 1)).toBe('2+1#2');
    expect(add(1, 2)).toBe('1+2#3');
    expect((await add.cacheInfo()).entries).toBe(2);
  });

  test('uses the key a call would: equal arguments in another form (object key order) are the same entry', async () => {
    let calls = 0;
    const describeShape = cachier((shape: { w: number; h: number }) => `${shape.w}x${shape.h}#${++calls}`, {
      backend: 'memory',
      id: uniqueId(),
    });
    describeShape({ w: 2, h: 3 });
    expect(await describeShape.forget({ h: 3, w: 2 })).toBe(true);
    expect(describeShape({ w: 2, h: 3 })).toBe('2x3#2');
  });

  test('is reached through cacheOf(fn), and keys on this as a call does when given as this', async () => {
    interface Account {
      id: number;
      balance: typeof balance;
    }
    let calls = 0;
    const balance = cachier(
      function (this: Account, currency: string) {
        return `${this.id}:${currency}#${++calls}`;
      },
      { backend: 'memory', id: uniqueId(), hash: ([currency], account) => [account.id, currency] },
    );
    const a: Account = { id: 1, balance };
    const b: Account = { id: 2, balance };
    a.balance('EUR');
    b.balance('EUR');
    expect(await cacheOf(balance).forget.call(a, 'EUR')).toBe(true);
    expect(b.balance('EUR')).toBe('2:EUR#2');
    expect(a.balance('EUR')).toBe('1:EUR#3');
  });

  test('arguments a call could not key are refused with the same error, as a rejection', async () => {
    const cached = cachier(async (value: unknown) => String(value), { backend: 'memory', id: uniqueId() });
    await cached('kept');
    const refused = cached.forget(() => 'a function');
    await expect(refused).rejects.toThrow(UnkeyableArgumentError);
    await expect(refused).rejects.toThrow(/argument 1 is a function.*hash/);
    expect((await cached.cacheInfo()).entries).toBe(1);
  });

  test('a computation in flight is not joined by later calls and does not store; callers already waiting get its value', async () => {
    const slow = gate<string>();
    let calls = 0;
    const fetchRate = cachier(
      async (currency: string) => {
        calls++;
        return calls === 1 ? slow.promise : `${currency} fresh`;
      },
      { backend: 'memory', id: uniqueId() },
    );
    const first = fetchRate('EUR');
    const joined = fetchRate('EUR');
    await vi.waitFor(() => expect(calls).toBe(1));
    expect(await fetchRate.forget('EUR')).toBe(false);
    expect(await fetchRate('EUR')).toBe('EUR fresh');
    expect(calls).toBe(2);
    slow.open('EUR old');
    expect(await first).toBe('EUR old');
    expect(await joined).toBe('EUR old');
    await sleep(10);
    expect(await fetchRate('EUR')).toBe('EUR fresh');
    expect(calls).toBe(2);
  });

  test('a computation forgotten while in flight, with no later call, leaves no entry behind', async () => {
    const slow = gate<string>();
    const cached = cachier(async (x: number) => (x === 1 ? slow.promise : 'other'), { backend: 'memory', id: uniqueId() });
    const pending = cached(1);
    await cached(2);
    await cached.forget(1);
    slow.open('computed before forget');
    expect(await pending).toBe('computed before forget');
    expect((await cached.cacheInfo()).entries).toBe(1);
  });

  test('has the argument types of the function and resolves to a boolean', () => {
    const cached = cachier(async (id: bigint, label?: string) => ({ id, label }), { backend: 'memory', id: uniqueId() });
    expectTypeOf(cached.forget).parameters.toEqualTypeOf<[bigint, string?]>();
    expectTypeOf(cached.forget).returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(cacheOf(cached).forget).parameters.toEqualTypeOf<[bigint, string?]>();
  });
});

const redisServer = inject('redisServer');

describe.skipIf('skip' in redisServer)('forget(...args) and a store under way', () => {
  test('a store already sent when forget is called is waited for, then removed: nothing is left once forget resolves', async () => {
    const redis = new Redis('url' in redisServer ? redisServer.url : '', { maxRetriesPerRequest: 1 });
    const storeSent = gate<void>();
    const storeLands = gate<void>();
    let holdNextEval = false;
    // The server as seen through a slow link: once armed, the next EVAL (the store) is sent and answered only when let through.
    const client: RedisClient = {
      call: (command, ...args) => redis.call(command, ...(args as Array<string | Buffer>)),
      callBuffer: async (command, ...args) => {
        if (command === 'EVAL' && holdNextEval) {
          holdNextEval = false;
          storeSent.open();
          await storeLands.promise;
        }
        return redis.callBuffer(command, ...(args as Array<string | Buffer>));
      },
      duplicate: () => redis.duplicate(),
    };
    let calls = 0;
    const cached = cachier(
      async (x: number) => {
        calls++;
        holdNextEval = true;
        return x * 10;
      },
      { backend: 'redis', redis: client, id: uniqueId(), sourceHash: 'v1' },
    );
    try {
      const computing = cached(1);
      await storeSent.promise;
      const forgetting = cached.forget(1);
      await sleep(50);
      storeLands.open();
      expect(await computing).toBe(10);
      expect(await forgetting).toBe(true);
      expect(await cached(1)).toBe(10);
      expect(calls).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
