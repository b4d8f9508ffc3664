import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalArguments, keyOfArguments } from '../../runtime/keys.js';
import { cachierKey, UnkeyableArgumentError } from '../../runtime/index.js';
import { referenceArguments } from '../support/keys/reference-encoding.js';

const key = (...args: unknown[]): string => keyOfArguments(args);

describe('cache keys', () => {
  test('are 43-character base64url SHA-256 digests', () => {
    expect(key(1, 'a')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('are equal for equal arguments built separately', () => {
    expect(key({ a: [1, 2, { b: new Date(5) }] }, new Map([[1, 'x']]))).toBe(key({ a: [1, 2, { b: new Date(5) }] }, new Map([[1, 'x']])));
  });

  test('do not depend on the order of object keys, Map entries or Set members', () => {
    expect(key({ a: 1, b: 2 })).toBe(key({ b: 2, a: 1 }));
    expect(
      key(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ).toBe(
      key(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    );
    expect(key(new Set([1, 2, 3]))).toBe(key(new Set([3, 1, 2])));
  });

  test('do not depend on insertion order for large objects, Maps and Sets either', () => {
    const names = Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}`);
    const forward = Object.fromEntries(names.map((name) => [name, name.length]));
    const backward = Object.fromEntries([...names].reverse().map((name) => [name, name.length]));
    expect(key(forward)).toBe(key(backward));
    expect(key(new Map(Object.entries(forward)))).toBe(key(new Map(Object.entries(backward))));
    expect(key(new Set(names))).toBe(key(new Set([...names].reverse())));
    expect(key(forward)).not.toBe(key({ ...forward, k0: 99 }));
  });

  test.each<[string, unknown, unknown]>([
    ['a number and its string', 1, '1'],
    ['null and undefined inside an array', [null], [undefined]],
    ['true and 1', true, 1],
    ['a bigint and its number', 1n, 1],
    ['two different Dates', new Date(1), new Date(2)],
    ['two different Maps', new Map([[1, 2]]), new Map([[1, 3]])],
    ['Map keys 1 and "1"', new Map([[1, 'x']]), new Map([['1', 'x']])],
    ['two different Sets', new Set([1]), new Set([2])],
    ['an array and an object with index keys', ['a'], { 0: 'a' }],
    ['a Buffer and a Uint8Array with the same bytes', Buffer.from([1, 2]), new Uint8Array([1, 2])],
    ['typed arrays of different kinds', new Uint8Array([1]), new Int8Array([1])],
    ['0 and -0', 0, -0],
    ['strings that could be confused by a separator', ['a,b'], ['a', 'b']],
    ['a hole and undefined in an array', [, 1], [undefined, 1]],
    ['an empty object and an empty Map', {}, new Map()],
    ['different RegExps', /a/g, /a/i],
  ])('tell apart %s', (_name, left, right) => {
    expect(key(left)).not.toBe(key(right));
  });

  test('treat NaN as equal to NaN', () => {
    expect(key(Number.NaN)).toBe(key(Number.NaN));
  });

  test('drop trailing undefined arguments, so f() and f(undefined) share a key', () => {
    expect(key()).toBe(key(undefined));
    expect(key(1)).toBe(key(1, undefined, undefined));
    expect(key(undefined, 1)).not.toBe(key(1));
  });

  test('depend on argument positions', () => {
    expect(key(1, 2)).not.toBe(key(2, 1));
    expect(key([1, 2])).not.toBe(key(1, 2));
  });

  test('allow shared references that are not cycles', () => {
    const shared = { x: 1 };
    expect(key({ a: shared, b: shared })).toBe(key({ a: { x: 1 }, b: { x: 1 } }));
  });

  test('accept objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(key(bare)).toBe(key({ a: 1 }));
  });

  test('use a [cachierKey]() method when a class has one', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      [cachierKey](): unknown {
        return [this.x, this.y];
      }
    }
    expect(key(new Point(1, 2))).toBe(key(new Point(1, 2)));
    expect(key(new Point(1, 2))).not.toBe(key(new Point(2, 1)));
    expect(key(new Point(1, 2))).not.toBe(key([1, 2]));
  });
});

describe('keys of objects sharing key lists', () => {
  // The encoder remembers the sorted layout of the key lists it has seen: lists that
  // look alike (same first key, same length, same keys in another order) must not share one.
  test('tell apart objects whose key lists differ after the first key', () => {
    expect(key({ a: 1, b: 2 })).not.toBe(key({ a: 1, c: 2 }));
    expect(
      key([
        { a: 1, b: 2 },
        { a: 1, c: 2 },
      ]),
    ).not.toBe(
      key([
        { a: 1, b: 2 },
        { a: 1, b: 2 },
      ]),
    );
    expect(key({ b: 1, a: 2 })).not.toBe(key({ a: 1, b: 2 }));
  });

  test('give rows of one shape in any key order the same key', () => {
    const rows = Array.from({ length: 20 }, (_, id) =>
      id % 2 ? { id, name: `n${id}`, price: id / 4 } : { price: id / 4, id, name: `n${id}` },
    );
    const sorted = rows.map(({ id, name, price }) => ({ id, name, price }));
    expect(key(rows)).toBe(key(sorted));
  });

  test('ignore enumerable properties someone added to Object.prototype, as with any object', () => {
    const plain = key({ a: 1 });
    Object.defineProperty(Object.prototype, 'z', { value: 2, enumerable: true, configurable: true, writable: true });
    try {
      // An object whose own keys are those the polluted prototype adds to { a: 1 }.
      expect(key({ a: 1, z: 2 })).not.toBe(plain);
      expect(key({ a: 1 })).toBe(plain);
    } finally {
      delete (Object.prototype as Record<string, unknown>)['z'];
    }
  });

  test('tell 0 from -0 after fractional numbers were seen', () => {
    expect(key([0.5, 0])).not.toBe(key([0.5, -0]));
    expect(key(-0)).not.toBe(key(0));
  });

  test('encode exactly as the plain reference encoder does, for any keyable value (the key format is unchanged)', () => {
    const keyable = fc.anything({
      maxDepth: 3,
      maxKeys: 6,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
    });
    // Lists of records built in varying key orders exercise the remembered layouts.
    const rows = fc.array(fc.dictionary(fc.constantFrom('id', 'name', 'price', 'tags', 'a', 'b'), keyable, { maxKeys: 4 }), {
      maxLength: 6,
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(keyable, rows), { maxLength: 3 }), (args) => {
        expect(canonicalArguments(args)).toBe(referenceArguments(args));
      }),
      { numRuns: 1_000, seed: 20261129 },
    );
  });
});

describe('deeply nested arguments', () => {
  const chain = (depth: number, leaf: unknown): unknown => {
    let value = leaf;
    for (let i = 0; i < depth; i++) value = { next: value };
    return value;
  };

  test('are keyed by their content at any depth', () => {
    expect(key(chain(200, 1))).toBe(key(chain(200, 1)));
    expect(key(chain(200, 1))).not.toBe(key(chain(200, 2)));
    expect(canonicalArguments([chain(200, [1])])).toBe(referenceArguments([chain(200, [1])]));
  });

  test('name a cycle deep down where it closes', () => {
    const top: { next?: unknown } = {};
    let bottom = top;
    for (let i = 0; i < 100; i++) bottom = (bottom.next = {}) as { next?: unknown };
    bottom.next = top;
    const path = `argument 1${'.next'.repeat(101)}`;
    expect(() => keyOfArguments([top])).toThrow(UnkeyableArgumentError);
    expect(() => keyOfArguments([top])).toThrow(`${path} contains a cycle`);
  });

  test('name what a [cachierKey]() method returned that cannot be keyed', () => {
    class Handle {
      [cachierKey](): unknown {
        return { open: () => 1 };
      }
    }
    expect(() => keyOfArguments([[new Handle()]])).toThrow('argument 1[0][cachierKey]().open is a function');
  });

  test('name a class instance deep down, inside Maps, Sets and arrays', () => {
    class Order {}
    const args = [1, { lines: [new Map([['k', new Set([chain(80, new Order())])]])] }];
    expect(() => keyOfArguments(args)).toThrow(
      `argument 2.lines[0]<Map entry 0><Set member 0>${'.next'.repeat(80)} is an instance of Order`,
    );
  });
});

describe('unkeyable arguments', () => {
  class Order {
    id = 1;
  }
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;

  test.each<[string, unknown[], RegExp]>([
    ['a class instance', [1, new Order()], /argument 2 is an instance of Order.*\[cachierKey\]\(\) method/],
    ['a function', [() => 1], /argument 1 is a function/],
    ['a symbol', ['x', Symbol('s')], /argument 2 is a symbol/],
    ['a cycle', [cyclic], /argument 1.self contains a cycle/],
    ['a nested class instance', [{ items: [1, new Order()] }], /argument 1.items\[1\] is an instance of Order/],
    ['a symbol-keyed property', [{ [Symbol('k')]: 1 }], /argument 1 has symbol-keyed properties/],
    ['a Map holding a function', [new Map([['f', () => 1]])], /argument 1<Map entry 0> is a function/],
    ['a WeakMap', [new WeakMap()], /argument 1 is an instance of WeakMap/],
    ['a Promise', [Promise.resolve(1)], /argument 1 is an instance of Promise/],
  ])('%s raises UnkeyableArgumentError naming the argument and the hash option', (_name, args, message) => {
    let caught: unknown;
    try {
      keyOfArguments(args);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnkeyableArgumentError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toMatch(/`hash` option/);
  });
});

describe('key stability', () => {
  // A changed encoding would silently orphan every user's cache, so the
  // digest of a fixed call is pinned here and must only change on purpose.
  test('a fixed call keeps the same key in every release and process', () => {
    const args = [1, 'a', { b: [true, null], a: new Date(0) }, new Map([['k', 1n]]), new Set([-0])];
    expect(keyOfArguments(args)).toBe(PINNED_KEY);
  });
});

const PINNED_KEY = 'cGdCosqUu6fVTODcegz4uR6vblpBZE3xNwQCOqs4zHQ';
