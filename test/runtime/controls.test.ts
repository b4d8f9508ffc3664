import { afterEach, describe, expect, expectTypeOf, test } from 'vitest';
import {
  cachier,
  cacheOf,
  disableCaching,
  enableCaching,
  getDefaults,
  InvalidOptionError,
  isCachingEnabled,
  NotCachedError,
  resetDefaults,
  setDefaults,
  type CacheInfo,
} from '../../runtime/index.js';
import { installManualClock } from '../support/clock.js';

let nextId = 0;
const uniqueId = (): string => `controls-${process.pid}-${nextId++}`;

afterEach(() => {
  resetDefaults();
  delete process.env['CACHIER_DISABLE'];
});

function counting() {
  const counter = { calls: 0 };
  const fn = (x: number): string => `${x}:${++counter.calls}`;
  return { counter, cached: cachier(fn, { backend: 'memory', id: uniqueId() }) };
}

describe('controls', () => {
  test('clearCache() makes the next call compute again', async () => {
    const { counter, cached } = counting();
    cached(1);
    await cached.clearCache();
    expect(cached(1)).toBe('1:2');
    expect(counter.calls).toBe(2);
  });

  test('precache(args, value) is served without calling the function', async () => {
    const { counter, cached } = counting();
    await cached.precache([5], 'precached');
    expect(cached(5)).toBe('precached');
    expect(counter.calls).toBe(0);
  });

  test('cacheInfo() reports entries, hits, misses and stale hits', async () => {
    const clock = installManualClock();
    const cached = cachier((x: number) => x, { backend: 'memory', id: uniqueId(), staleAfter: '1s' });
    cached(1);
    cached(1);
    cached(2);
    clock.advance(2000);
    cached(1);
    const info = await cached.cacheInfo();
    expect(info).toMatchObject({ backend: 'memory', entries: 2, hits: 1, misses: 2, staleHits: 1, waits: 0 });
    expect(info.id).toMatch(/^controls-/);
  });

  test('the default id is the calling project (its package name), the module path in its package and the function name', async () => {
    const cached = cachier(
      function namedForId() {
        return 1;
      },
      { backend: 'memory' },
    );
    expect((await cached.cacheInfo()).id).toBe('cachier:test/runtime/controls.test.ts#namedForId');
  });

  test('clearBeingCalculated() lets a waiting caller stop waiting and compute', async () => {
    const id = uniqueId();
    let finish: (value: string) => void = () => undefined;
    const stuck = cachier(() => new Promise<string>((resolve) => (finish = resolve)), { backend: 'memory', id, sourceHash: 'h' });
    const waiter = cachier(async () => 'computed by the waiter', { backend: 'memory', id, sourceHash: 'h' });
    const stuckCall = stuck();
    const waiting = waiter();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await waiter.clearBeingCalculated();
    expect(await waiting).toBe('computed by the waiter');
    finish('done');
    expect(await stuckCall).toBe('done');
  });

  test('the wrapper keeps the name and length of the function', () => {
    const cached = cachier(
      function add(a: number, b: number) {
        return a + b;
      },
      { backend: 'memory', id: uniqueId() },
    );
    expect(cached.name).toBe('add');
    expect(cached.length).toBe(2);
  });

  test('cacheOf(fn) reaches the controls and rejects plain functions', async () => {
    const { cached } = counting();
    cached(3);
    expect((await cacheOf(cached).cacheInfo()).entries).toBe(1);
    expect(() => cacheOf(function plain() {})).toThrow(NotCachedError);
    expect(() => cacheOf(function plain() {})).toThrow(/function plain is not a function wrapped by cachier/);
  });
});

describe('methods and this', () => {
  test('this reaches the function (test/instance-methods.test.ts: when it is part of the key)', () => {
    class Greeter {
      constructor(readonly greeting: string) {}
      greet = cachier(
        function (this: Greeter, name: string) {
          return `${this.greeting}, ${name}`;
        },
        { backend: 'memory', id: uniqueId(), allowNonStaticMethods: true },
      );
    }
    const hello = new Greeter('hello');
    expect(hello.greet('ann')).toBe('hello, ann');
  });

  test('a hash option can key on this and on chosen arguments', () => {
    let calls = 0;
    interface Account {
      id: number;
    }
    const balance = cachier(
      function (this: Account, order: { id: string; note: string }) {
        calls++;
        return `${this.id}/${order.id}`;
      },
      { backend: 'memory', id: uniqueId(), hash: ([order], account) => [account.id, order.id] },
    );
    const a = { id: 1, balance };
    const b = { id: 2, balance };
    expect(a.balance({ id: 'o1', note: 'x' })).toBe('1/o1');
    expect(a.balance({ id: 'o1', note: 'different note, same key' })).toBe('1/o1');
    expect(b.balance({ id: 'o1', note: 'x' })).toBe('2/o1');
    expect(calls).toBe(2);
  });
});

describe('per-call overrides', () => {
  test('skipCache calls the function and stores nothing', () => {
    const { counter, cached } = counting();
    expect(cached.withOptions({ skipCache: true })(1)).toBe('1:1');
    expect(cached(1)).toBe('1:2');
    expect(counter.calls).toBe(2);
  });

  test('overwriteCache recomputes and stores the new value', () => {
    const { cached } = counting();
    cached(1);
    expect(cached.withOptions({ overwriteCache: true })(1)).toBe('1:2');
    expect(cached(1)).toBe('1:2');
  });

  test('maxAge treats older entries as stale for that call only', () => {
    const clock = installManualClock();
    const { cached } = counting();
    cached(1);
    clock.advance(10_000);
    expect(cached.withOptions({ maxAge: '1m' })(1)).toBe('1:1');
    expect(cached.withOptions({ maxAge: '5s' })(1)).toBe('1:2');
    expect(cached(1)).toBe('1:2');
  });

  test('unknown overrides and bad values are rejected', () => {
    const { cached } = counting();
    expect(() => cached.withOptions({ skip: true } as never)).toThrow(/"skip": is not a per-call option/);
    expect(() => cached.withOptions({ maxAge: 'later' })).toThrow(InvalidOptionError);
    expect(() => cached.withOptions({ maxAge: 'later' })).toThrow(/option "maxAge": "later" is not a duration/);
    expect(() => cached.withOptions({ skipCache: 'yes' } as never)).toThrow(/option "skipCache": expected true or false, got "yes"/);
  });
});

describe('global switches and defaults', () => {
  test('disableCaching() makes every call go straight through; enableCaching() restores', () => {
    const { counter, cached } = counting();
    cached(1);
    disableCaching();
    expect(isCachingEnabled()).toBe(false);
    expect(cached(1)).toBe('1:2');
    enableCaching();
    expect(cached(1)).toBe('1:1');
    expect(counter.calls).toBe(2);
  });

  test('CACHIER_DISABLE=1 in the environment disables caching', () => {
    const { counter, cached } = counting();
    process.env['CACHIER_DISABLE'] = '1';
    cached(1);
    cached(1);
    expect(counter.calls).toBe(2);
  });

  test('setDefaults applies to functions wrapped before it, and their own options win', () => {
    const clock = installManualClock();
    let calls = 0;
    const usesDefault = cachier(() => ++calls, { backend: 'memory', id: uniqueId() });
    const ownOption = cachier(() => ++calls, { backend: 'memory', id: uniqueId(), staleAfter: '1h' });
    usesDefault();
    ownOption();
    setDefaults({ staleAfter: '1s' });
    clock.advance(5_000);
    expect(usesDefault()).toBe(3);
    expect(ownOption()).toBe(2);
    expect(getDefaults().staleAfter).toBe('1s');
  });

  test('setDefaults rejects unknown settings with a suggestion', () => {
    expect(() => setDefaults({ staleafter: '1s' } as never)).toThrow(
      /"staleafter": is not an option of setDefaults\(\); did you mean "staleAfter"\?/,
    );
  });
});

describe('types', () => {
  test('the wrapper has exactly the signature of the function, plus its controls', () => {
    const sync = cachier((a: number, b?: string) => `${a}${b ?? ''}`, { backend: 'memory', id: uniqueId() });
    expectTypeOf(sync).parameters.toEqualTypeOf<[number, string?]>();
    expectTypeOf(sync).returns.toEqualTypeOf<string>();
    const asyncFn = cachier(async (id: bigint) => ({ id }), { backend: 'memory', id: uniqueId() });
    expectTypeOf(asyncFn).returns.toEqualTypeOf<Promise<{ id: bigint }>>();
    expectTypeOf(asyncFn.precache).parameters.toEqualTypeOf<[[bigint], { id: bigint }]>();
    expectTypeOf(asyncFn.cacheInfo).returns.toEqualTypeOf<Promise<CacheInfo>>();
    expectTypeOf(asyncFn.withOptions({ skipCache: true })).toEqualTypeOf<(id: bigint) => Promise<{ id: bigint }>>();
  });
});
