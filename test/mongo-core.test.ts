import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { cachier, InvalidOptionError, resetDefaults, setDefaults } from '../runtime/index.js';
import { createMongoCore } from '../runtime/cores/mongo.js';
import { logFor } from '../runtime/log.js';
import { connectTestCollection, type TestConnection } from './support/mongo/connect.js';

let db: TestConnection;
let warnings: Array<{ code: string | undefined; message: string }>;
const onWarning = (warning: Error & { code?: string }): void => {
  if (warning.name === 'CachierWarning') warnings.push({ code: warning.code, message: warning.message });
};

/** Warnings are delivered on a later tick: wait for one that matches. */
async function expectWarning(matches: (warning: { code: string | undefined; message: string }) => boolean): Promise<void> {
  await vi.waitFor(() => expect(warnings.some(matches)).toBe(true));
}

beforeEach(async () => {
  db = await connectTestCollection();
  warnings = [];
  process.on('warning', onWarning);
});

afterEach(async () => {
  process.off('warning', onWarning);
  resetDefaults();
  await db.close();
});

/** A cached async function that counts how often its body runs. */
function counted<T>(id: string, body: (arg: number) => T, options: Parameters<typeof cachier>[1] = {}) {
  const calls = { count: 0 };
  const fn = cachier(
    async (arg: number) => {
      calls.count++;
      return body(arg);
    },
    { backend: 'mongo', mongetter: () => db.collection, id, sourceHash: 'v1', ...options },
  );
  return { fn, calls };
}

describe('mongo backend: hits, misses and staleness', () => {
  test('a miss computes and stores; a hit returns the stored value without calling the function', async () => {
    const { fn, calls } = counted('square', (x) => ({ square: x * x, at: new Date(0), tags: new Set(['a']) }));
    const first = await fn(4);
    const second = await fn(4);
    expect(second).toEqual({ square: 16, at: new Date(0), tags: new Set(['a']) });
    expect(second).toEqual(first);
    expect(calls.count).toBe(1);
    await fn(5);
    expect(calls.count).toBe(2);
    expect((await fn.cacheInfo()).entries).toBe(2);
  });

  test('a second client (another machine) is served what the first stored', async () => {
    const { fn, calls } = counted('shared', (x) => x + 1);
    await fn(1);
    const other = await connectTestCollection({ collectionName: db.collection.collectionName });
    try {
      let otherCalls = 0;
      const onOtherMachine = cachier(
        async (x: number) => {
          otherCalls++;
          return x + 1;
        },
        { backend: 'mongo', mongetter: () => other.collection, id: 'shared', sourceHash: 'v1' },
      );
      expect(await onOtherMachine(1)).toBe(2);
      expect(otherCalls).toBe(0);
      expect(calls.count).toBe(1);
    } finally {
      await other.close({ drop: false });
    }
  });

  test('a stale entry is recomputed', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn, calls } = counted('stale', (x) => `${x}@${now}`, { staleAfter: '1h' });
    const first = await fn(1);
    now += 30 * 60_000;
    expect(await fn(1)).toBe(first);
    now += 60 * 60_000;
    expect(await fn(1)).toBe(`1@${now}`);
    expect(calls.count).toBe(2);
  });

  test('with nextTime, a stale entry is returned at once and refreshed in the background', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn, calls } = counted('next-time', (x) => `${x}@${now}`, { staleAfter: '1h', nextTime: true });
    const first = await fn(1);
    now += 2 * 60 * 60_000;
    expect(await fn(1)).toBe(first);
    await vi.waitFor(() => expect(calls.count).toBe(2), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await fn(1)).toBe(`1@${now}`), { timeout: 10_000 });
    expect(calls.count).toBe(2);
  });

  test('two machines seeing the same stale entry refresh it once', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const other = await connectTestCollection({ collectionName: db.collection.collectionName });
    try {
      let computations = 0;
      const wrap = (connection: TestConnection) =>
        cachier(
          async (x: number) => {
            computations++;
            await new Promise((resolve) => setTimeout(resolve, 1000));
            return `${x}@${now}`;
          },
          { backend: 'mongo', mongetter: () => connection.collection, id: 'refresh-once', sourceHash: 'v1', staleAfter: '1h', nextTime: true },
        );
      const [machineA, machineB] = [wrap(db), wrap(other)];
      const first = await machineA(1);
      now += 2 * 60 * 60_000;
      expect(await machineA(1)).toBe(first);
      expect(await machineB(1)).toBe(first);
      await vi.waitFor(async () => expect(await machineA(1)).toBe(`1@${now}`), { timeout: 15_000 });
      expect(computations).toBe(2);
    } finally {
      await other.close({ drop: false });
    }
  });

  test('an error thrown by the function is not cached and does not leave the key marked', async () => {
    let fail = true;
    const { fn, calls } = counted('throws', (x) => {
      if (fail) throw new Error('boom');
      return x;
    });
    await expect(fn(1)).rejects.toThrow('boom');
    fail = false;
    expect(await fn(1)).toBe(1);
    expect(calls.count).toBe(2);
  });

  test('a new source hash does not serve old entries; its first store deletes those not computed for a day', async () => {
    let now = Date.now();
    setDefaults({ clock: () => now });
    const v1 = counted('evolving', (x) => `v1:${x}`);
    await v1.fn(1);
    await v1.fn(2);
    const v2 = counted('evolving', (x) => `v2:${x}`, { sourceHash: 'v2' });
    expect(await v2.fn(1)).toBe('v2:1');
    // The old code may still be running elsewhere: its recent entries stay.
    expect(await db.collection.countDocuments({ functionId: 'evolving', sourceHash: 'v1' })).toBe(2);
    now += 25 * 60 * 60 * 1000;
    // A new process of the new code (setDefaults rebuilds the cores) sweeps them.
    setDefaults({ clock: () => now });
    expect(await v2.fn(3)).toBe('v2:3');
    expect(await db.collection.countDocuments({ functionId: 'evolving', sourceHash: 'v1' })).toBe(0);
    expect(await db.collection.countDocuments({ functionId: 'evolving' })).toBe(2);
  });
});

describe('mongo backend: the mongetter and waiting', () => {
  test('a mongetter may return a promise of the collection', async () => {
    const { fn, calls } = counted('async-mongetter', (x) => x + 1, { mongetter: async () => db.collection });
    expect(await fn(1)).toBe(2);
    expect(await fn(1)).toBe(2);
    expect(calls.count).toBe(1);
  });

  test('a mongetter returning something else than a collection is reported by name', async () => {
    const notACollection = () => ({}) as never;
    const { fn } = counted('bad-mongetter', (x) => x, { mongetter: notACollection, strict: true });
    await expect(fn(1)).rejects.toThrow(/option "mongetter": must return a MongoDB Collection/);
    const tolerant = counted('bad-mongetter-tolerant', (x) => x, { mongetter: notACollection });
    expect(await tolerant.fn(1)).toBe(1);
    await expectWarning((warning) => /must return a MongoDB Collection/.test(warning.message));
  });

  test('a caller waits at most waitForCalcTimeout for another machine, then computes itself', async () => {
    const other = await connectTestCollection({ collectionName: db.collection.collectionName });
    try {
      let release = (): void => undefined;
      const slow = counted('wait-timeout', (x) => new Promise<string>((resolve) => (release = () => resolve(`slow:${x}`))));
      const pending = slow.fn(1);
      await vi.waitFor(() => expect(slow.calls.count).toBe(1));
      let impatientCalls = 0;
      const impatient = cachier(
        async (x: number) => {
          impatientCalls++;
          return `impatient:${x}`;
        },
        { backend: 'mongo', mongetter: () => other.collection, id: 'wait-timeout', sourceHash: 'v1', waitForCalcTimeout: '300ms' },
      );
      expect(await impatient(1)).toBe('impatient:1');
      expect(impatientCalls).toBe(1);
      release();
      expect(await pending).toBe('slow:1');
    } finally {
      await other.close({ drop: false });
    }
  });

  test('a document whose value cannot be read counts as missing, with a warning, and is replaced', async () => {
    const { fn, calls } = counted('garbled', (x) => x * 3);
    await fn(2);
    await db.collection.updateOne({ functionId: 'garbled' }, { $set: { value: 'not bytes' } });
    expect(await fn(2)).toBe(6);
    expect(calls.count).toBe(2);
    await expectWarning((warning) => warning.code === 'CACHIER_UNREADABLE_ENTRY');
    expect(await fn(2)).toBe(6);
    expect(calls.count).toBe(2);
  });
});

describe('mongo core: claiming', () => {
  const coreFor = (collection: TestConnection['collection']) =>
    createMongoCore({
      functionId: 'claims',
      sourceHash: 'v1',
      cacheDir: '',
      reload: false,
      separateFiles: false,
      mongetter: () => collection,
      entrySizeLimit: undefined,
      leaseMs: 30_000,
      clock: Date.now,
      log: logFor('claims'),
    });

  test('a claim hands back, in the same round trip, an entry another machine stored after this caller read', async () => {
    const machineA = coreFor(db.collection);
    const other = await connectTestCollection({ collectionName: db.collection.collectionName });
    try {
      const machineB = coreFor(other.collection);
      // B's read claims the key; A's read finds it held, so A claims nothing.
      expect(await machineB.get('k')).toBeUndefined();
      expect(await machineA.get('k')).toBeUndefined();
      const claimB = await machineB.claim('k');
      await machineB.store('k', { value: { found: true }, computedAt: 123 }, claimB.claimed ? claimB.token : undefined);
      db.roundTrips();
      const claim = await machineA.claim('k');
      expect(db.roundTrips()).toEqual(['findAndModify']);
      expect(claim).toEqual({ claimed: true, token: expect.any(String), current: { value: { found: true }, computedAt: 123 } });
      expect(await machineB.claim('k')).toEqual({ claimed: false });
    } finally {
      await other.close({ drop: false });
    }
  });

  test('a read that finds no entry and no mark claims the key in the same round trip; the claim that follows costs none', async () => {
    const machineA = coreFor(db.collection);
    const other = await connectTestCollection({ collectionName: db.collection.collectionName });
    try {
      const machineB = coreFor(other.collection);
      await machineA.count();
      db.roundTrips();
      expect(await machineA.get('first')).toBeUndefined();
      expect(db.roundTrips()).toEqual(['findAndModify']);
      expect(await machineA.claim('first')).toEqual({ claimed: true, token: expect.any(String) });
      expect(db.roundTrips()).toEqual([]);
      expect(await machineB.get('first')).toBeUndefined();
      expect(await machineB.claim('first')).toEqual({ claimed: false });
    } finally {
      await other.close({ drop: false });
    }
  });

  test('a claim on a key nobody stored hands back no entry, and a released key can be claimed again', async () => {
    const core = coreFor(db.collection);
    const first = await core.claim('fresh');
    expect(first).toEqual({ claimed: true, token: expect.any(String) });
    expect(await core.claim('fresh')).toEqual({ claimed: false });
    if (first.claimed) await core.release('fresh', first.token);
    expect(await core.claim('fresh')).toEqual({ claimed: true, token: expect.any(String) });
  });
});

describe('mongo backend: round trips', () => {
  test('a hit is 1 round trip and a miss 2: claim-with-read, store-and-release (the first of a process adds index creation and old-hash cleanup)', async () => {
    const { fn } = counted('round-trips', (x) => x * 2);
    await fn(1);
    expect(db.roundTrips()).toEqual(['createIndexes', 'findAndModify', 'update', 'delete']);
    await fn(1);
    expect(db.roundTrips()).toEqual(['findAndModify']);
    await fn(2);
    expect(db.roundTrips()).toEqual(['findAndModify', 'update']);
    await fn(2);
    expect(db.roundTrips()).toEqual(['findAndModify']);
    const stored = await db.collection.findOne({ functionId: 'round-trips', key: { $exists: true } });
    expect(stored).not.toHaveProperty('owner');
  });

  test('a stale entry with nextTime is served in 1 round trip and refreshed in 2 more in the background', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn, calls } = counted('round-trips-stale', (x) => `${x}@${now}`, { staleAfter: '1h', nextTime: true });
    await fn(1);
    db.roundTrips();
    now += 2 * 60 * 60_000;
    await fn(1);
    expect(db.roundTrips()).toEqual(['findAndModify']);
    await vi.waitFor(() => expect(db.commands).toEqual(['findAndModify', 'update']));
    expect(calls.count).toBe(2);
  });

  test('the identity index is unique and created once per collection', async () => {
    const f = counted('index-f', (x) => x);
    const g = counted('index-g', (x) => x);
    await f.fn(1);
    await g.fn(1);
    expect(db.roundTrips().filter((name) => name === 'createIndexes')).toHaveLength(1);
    const identity = (await db.collection.indexes()).find((index) => index.name === 'cachier_identity');
    expect(identity).toMatchObject({ key: { functionId: 1, sourceHash: 1, key: 1 }, unique: true });
  });
});

describe('mongo backend: concurrent writers', () => {
  test('callers on several clients racing on the same keys compute each key once and leave one document per key', async () => {
    const machines = [db, ...(await Promise.all([1, 2, 3].map(() => connectTestCollection({ collectionName: db.collection.collectionName }))))];
    try {
      let computations = 0;
      const wrappers = machines.map((machine) =>
        cachier(async (x: number) => ({ x, computation: ++computations }), {
          backend: 'mongo',
          mongetter: () => machine.collection,
          id: 'racing',
          sourceHash: 'v1',
        }),
      );
      const keys = Array.from({ length: 20 }, (_, i) => i);
      const results = await Promise.all(wrappers.flatMap((fn) => keys.map((x) => fn(x))));
      expect(results.map((result) => result.x)).toEqual(wrappers.flatMap(() => keys));
      expect(computations).toBe(keys.length);
      const documents = await db.collection.find({ functionId: 'racing' }).toArray();
      expect(documents).toHaveLength(keys.length);
      expect(new Set(documents.map((document) => document['key'])).size).toBe(keys.length);
      expect(documents.every((document) => document['value'] !== undefined && document['owner'] === undefined)).toBe(true);
    } finally {
      await Promise.all(machines.slice(1).map((machine) => machine.close({ drop: false })));
    }
  });
});

describe('mongo backend: what is not stored', () => {
  test('a result over entrySizeLimit is returned, not stored, with a warning', async () => {
    const { fn, calls } = counted('too-big', (x) => 'x'.repeat(10_000 + x), { entrySizeLimit: '1KB' });
    expect(await fn(1)).toHaveLength(10_001);
    expect(await fn(1)).toHaveLength(10_001);
    expect(calls.count).toBe(2);
    expect((await fn.cacheInfo()).entries).toBe(0);
    await expectWarning((warning) => warning.code === 'CACHIER_NOT_STORED' && /entrySizeLimit/.test(warning.message));
  });

  test("a result over MongoDB's 16 MiB document limit is returned, not stored, with a warning", async () => {
    const { fn, calls } = counted('over-16-mib', () => Buffer.alloc(17 * 1024 * 1024, 1));
    expect((await fn(1)).length).toBe(17 * 1024 * 1024);
    expect(calls.count).toBe(1);
    expect((await fn.cacheInfo()).entries).toBe(0);
    await expectWarning((warning) => warning.code === 'CACHIER_NOT_STORED' && /16 MiB/.test(warning.message));
  });

  test('undefined is not stored unless allowUndefined', async () => {
    const { fn, calls } = counted('undefined', () => undefined);
    await fn(1);
    await fn(1);
    expect(calls.count).toBe(2);
    const allowed = counted('undefined-allowed', () => undefined, { allowUndefined: true });
    await allowed.fn(1);
    await allowed.fn(1);
    expect(allowed.calls.count).toBe(1);
  });

  test('a sync function cannot use the mongo backend: an error at wrap time', () => {
    expect(() => cachier((x: number) => x, { backend: 'mongo', mongetter: () => db.collection })).toThrow(InvalidOptionError);
    expect(() => cachier((x: number) => x, { backend: 'mongo', mongetter: () => db.collection })).toThrow(/async/);
  });

  test('strict mode still returns a value too large to store, with a warning', async () => {
    const { fn } = counted('strict-size', (x) => 'y'.repeat(5_000 + x), { entrySizeLimit: '1KB', strict: true });
    expect(await fn(1)).toHaveLength(5_001);
    await expectWarning((warning) => warning.code === 'CACHIER_NOT_STORED');
  });
});

describe('mongo backend: controls touch only their own function', () => {
  test("clearCache removes this function's documents and leaves other functions' documents", async () => {
    const f = counted('clear-f', (x) => x);
    const g = counted('clear-g', (x) => x);
    await Promise.all([f.fn(1), f.fn(2), g.fn(1)]);
    await f.fn.clearCache();
    expect((await f.fn.cacheInfo()).entries).toBe(0);
    expect((await g.fn.cacheInfo()).entries).toBe(1);
    await g.fn(1);
    expect(g.calls.count).toBe(1);
    await f.fn(1);
    expect(f.calls.count).toBe(3);
  });

  test("clearBeingCalculated clears this function's marks only", async () => {
    const gates: Array<() => void> = [];
    const slow = (id: string) =>
      counted(id, (x) => new Promise<number>((resolve) => gates.push(() => resolve(x))));
    const f = slow('marks-f');
    const g = slow('marks-g');
    const pending = [f.fn(1), g.fn(1)];
    await vi.waitFor(() => expect(gates).toHaveLength(2));
    const owners = async () =>
      Object.fromEntries((await db.collection.find({}).toArray()).map((document) => [document['functionId'], document['owner'] ?? null]));
    expect(await owners()).toEqual({ 'marks-f': expect.any(String), 'marks-g': expect.any(String) });
    await f.fn.clearBeingCalculated();
    expect(await owners()).toEqual({ 'marks-f': null, 'marks-g': expect.any(String) });
    for (const open of gates) open();
    expect(await Promise.all(pending)).toEqual([1, 1]);
  });

  test('precache stores a value that later calls return', async () => {
    const { fn, calls } = counted('precached', (x) => x);
    await fn.precache([7], 49);
    expect(await fn(7)).toBe(49);
    expect(calls.count).toBe(0);
  });
});
