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

describe('mongo backend: source hashes', () => {
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
      expect(await machineA.get('k')).toBeUndefined();
      await machineB.store('k', { value: { found: true }, computedAt: 123 });
      db.roundTrips();
      const claim = await machineA.claim('k');
      expect(db.roundTrips()).toEqual(['findAndModify']);
      expect(claim).toEqual({ claimed: true, token: expect.any(String), current: { value: { found: true }, computedAt: 123 } });
      expect(await machineB.claim('k')).toEqual({ claimed: false });
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
  test('a hit is 1 round trip and a miss 3 (the first of a process adds index creation and old-hash cleanup)', async () => {
    const { fn } = counted('round-trips', (x) => x * 2);
    await fn(1);
    expect(db.roundTrips()).toEqual(['createIndexes', 'find', 'findAndModify', 'update', 'delete']);
    await fn(1);
    expect(db.roundTrips()).toEqual(['find']);
    await fn(2);
    expect(db.roundTrips()).toEqual(['find', 'findAndModify', 'update']);
    await fn(2);
    expect(db.roundTrips()).toEqual(['find']);
  });

  test('a stale entry with nextTime is served in 1 round trip and refreshed in 2 more in the background', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn, calls } = counted('round-trips-stale', (x) => `${x}@${now}`, { staleAfter: '1h', nextTime: true });
    await fn(1);
    db.roundTrips();
    now += 2 * 60 * 60_000;
    await fn(1);
    expect(db.roundTrips()).toEqual(['find']);
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
  test("a result over MongoDB's 16 MiB document limit is returned, not stored, with a warning", async () => {
    const { fn, calls } = counted('over-16-mib', () => Buffer.alloc(17 * 1024 * 1024, 1));
    expect((await fn(1)).length).toBe(17 * 1024 * 1024);
    expect(calls.count).toBe(1);
    expect((await fn.cacheInfo()).entries).toBe(0);
    await expectWarning((warning) => warning.code === 'CACHIER_NOT_STORED' && /16 MiB/.test(warning.message));
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

});
