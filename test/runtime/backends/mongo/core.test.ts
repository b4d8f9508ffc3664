import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { cachier, InvalidOptionError, resetDefaults, setDefaults } from '../../../../runtime/index.js';
import { createMongoCore } from '../../../../runtime/backends/mongo/core.js';
import { logFor } from '../../../../runtime/log.js';
import { computations, startProcess } from '../../../support/backends/processes.js';
import { connectTestCollection, testMongoUri, type TestConnection } from '../../../support/mongo/connect.js';

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

/** The being-calculated marks left on a function's documents. */
async function marksOf(functionId: string): Promise<unknown[]> {
  const documents = await db.collection.find({ functionId }).toArray();
  return documents.map((document) => document['owner']).filter((owner) => owner !== undefined);
}

describe('mongo backend: round trips', () => {
  test('a miss after a miss is 2 round trips (claiming read, store), a hit 1; the first miss after hits reads first', async () => {
    const { fn, calls } = counted('round-trips', (x) => x * 2);
    await fn(1);
    // The first call of a process also creates the index and deletes old source hashes.
    expect(db.roundTrips()).toEqual(['createIndexes', 'find', 'findAndModify', 'update', 'delete']);
    for (const x of [2, 3, 4]) {
      expect(await fn(x)).toBe(x * 2);
      expect(db.roundTrips()).toEqual(['findAndModify', 'update']);
    }
    // A hit after a miss: the claiming read finds the fresh entry and changes nothing.
    expect(await fn(4)).toBe(8);
    expect(db.roundTrips()).toEqual(['findAndModify']);
    expect(await fn(4)).toBe(8);
    expect(db.roundTrips()).toEqual(['find']);
    expect(await fn(5)).toBe(10);
    expect(db.roundTrips()).toEqual(['find', 'findAndModify', 'update']);
    expect(await fn(6)).toBe(12);
    expect(db.roundTrips()).toEqual(['findAndModify', 'update']);
    expect(calls.count).toBe(6);
    expect(await marksOf('round-trips')).toEqual([]);
  });

  test('a stale entry with nextTime is served in 1 round trip and refreshed in the background (1 more after a miss, 2 after a hit)', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn, calls } = counted('round-trips-stale', (x) => `${x}@${now}`, { staleAfter: '1h', nextTime: true });
    await fn(1);
    db.roundTrips();
    now += 2 * 60 * 60_000;
    expect(await fn(1)).toBe(`1@${now - 2 * 60 * 60_000}`);
    expect(db.roundTrips()).toEqual(['findAndModify']);
    await vi.waitFor(() => expect(db.commands).toEqual(['update']));
    db.roundTrips();
    expect(await fn(1)).toBe(`1@${now}`);
    expect(db.roundTrips()).toEqual(['findAndModify']);
    now += 2 * 60 * 60_000;
    expect(await fn(1)).toBe(`1@${now - 2 * 60 * 60_000}`);
    expect(db.roundTrips()).toEqual(['find']);
    await vi.waitFor(() => expect(db.commands).toEqual(['findAndModify', 'update']));
    expect(calls.count).toBe(3);
  });

  test('a claim planted by a read that the call does not use (a longer per-call staleAfter serves the entry) is released', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    setDefaults({ clock: () => now });
    const { fn, calls } = counted('unused-claim', (x) => `${x}@${now}`, { staleAfter: '1h' });
    await fn(1);
    db.roundTrips();
    now += 2 * 60 * 60_000;
    expect(await fn.withOptions({ staleAfter: '1d' })(1)).toBe(`1@${now - 2 * 60 * 60_000}`);
    expect(db.roundTrips()).toEqual(['findAndModify']);
    await vi.waitFor(() => expect(db.commands).toEqual(['update']));
    expect(await marksOf('unused-claim')).toEqual([]);
    // Nobody waits for the released key: the next call recomputes it at once.
    expect(await fn(1)).toBe(`1@${now}`);
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
    const machines = [
      db,
      ...(await Promise.all([1, 2, 3].map(() => connectTestCollection({ collectionName: db.collection.collectionName })))),
    ];
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

describe('mongo backend: claiming reads across clients and processes', () => {
  const mongo = { backend: 'mongo', address: testMongoUri } as const;
  const newCountFile = (): string => join(mkdtempSync(join(tmpdir(), 'cachier-count-')), 'computations.txt');

  test('clients racing on the same keys after a miss each (so every read claims) compute each key once and leave no mark', async () => {
    const machines = [
      db,
      ...(await Promise.all([1, 2, 3].map(() => connectTestCollection({ collectionName: db.collection.collectionName })))),
    ];
    try {
      const computedBy: number[] = [];
      const wrappers = machines.map((machine, index) =>
        cachier(
          async (x: number) => {
            computedBy.push(index);
            await new Promise((resolve) => setTimeout(resolve, 20));
            return { x, by: index };
          },
          { backend: 'mongo', mongetter: () => machine.collection, id: 'racing-claims', sourceHash: 'v1' },
        ),
      );
      for (const [index, fn] of wrappers.entries()) await fn(1_000 + index);
      for (const machine of machines) machine.roundTrips();
      const keys = Array.from({ length: 20 }, (_, i) => i);
      const results = await Promise.all(wrappers.flatMap((fn) => keys.map((x) => fn(x))));
      expect(computedBy).toHaveLength(wrappers.length + keys.length);
      // Every machine got, for each key, the value of the one computation of it.
      const byKey = new Map(results.map((result) => [result.x, result.by]));
      expect(results.every((result) => byKey.get(result.x) === result.by)).toBe(true);
      // The race ran on claiming reads (in a plain read's place, the first command would be a find).
      expect(db.commands[0]).toBe('findAndModify');
      expect(await marksOf('racing-claims')).toEqual([]);
      expect(await db.collection.countDocuments({ functionId: 'racing-claims' })).toBe(wrappers.length + keys.length);
    } finally {
      await Promise.all(machines.slice(1).map((machine) => machine.close({ drop: false })));
    }
  });

  test('a caller whose claiming read finds another client computing waits for its value, and computes itself after its wait timeout', async () => {
    const other = await connectTestCollection({ collectionName: db.collection.collectionName });
    try {
      const gates = new Map<number, () => void>();
      const slow = cachier(
        async (x: number) => {
          await new Promise<void>((resolve) => gates.set(x, resolve));
          return `slow:${x}`;
        },
        { backend: 'mongo', mongetter: () => other.collection, id: 'claim-wait', sourceHash: 'v1' },
      );
      const { fn, calls } = counted('claim-wait', (x) => `fast:${x}`);
      await fn(100);
      const computing = slow(1);
      await vi.waitFor(() => expect(gates.has(1)).toBe(true));
      db.roundTrips();
      const waiter = fn(1);
      // The claiming read found the live mark: the wait polls at once, with no claim of its own.
      await vi.waitFor(() => expect(db.commands.slice(0, 2)).toEqual(['findAndModify', 'find']));
      gates.get(1)!();
      expect(await waiter).toBe('slow:1');
      expect(await computing).toBe('slow:1');
      expect(calls.count).toBe(1);

      const stuck = slow(2);
      await vi.waitFor(() => expect(gates.has(2)).toBe(true));
      expect(await fn.withOptions({ waitForCalcTimeout: '300ms' })(2)).toBe('fast:2');
      expect(calls.count).toBe(2);
      expect((await fn.cacheInfo()).waitTimeouts).toBe(1);
      gates.get(2)!();
      expect(await stuck).toBe('slow:2');
    } finally {
      await other.close({ drop: false });
    }
  });

  test('processes racing on the same keys with claiming reads compute each key once', async () => {
    const countFile = newCountFile();
    const keys = Array.from({ length: 10 }, (_, i) => i);
    const tags = ['A', 'B', 'C'];
    const id = `racing-processes-${randomUUID()}`;
    const results = await Promise.all(
      tags.map((tag, index) => startProcess(mongo, { id, tag, countFile, warmUp: [1_000 + index], args: keys, delayMs: 50 }).results),
    );
    for (const result of results) expect(result.map((entry) => entry.x)).toEqual(keys);
    const byKey = new Map(results[0]!.map((entry) => [entry.x, entry.computedBy]));
    for (const result of results) expect(result.every((entry) => byKey.get(entry.x) === entry.computedBy)).toBe(true);
    expect(computations(countFile)).toHaveLength(tags.length + keys.length);
  }, 60_000);

  test("a killed process's claim from a claiming read runs out, and a process whose read claims takes over", async () => {
    const countFile = newCountFile();
    const id = `takeover-${randomUUID()}`;
    const a = startProcess(mongo, { id, tag: 'A', countFile, warmUp: [100], args: [1], delayMs: 600_000, lease: '2s' });
    a.results.catch(() => undefined);
    await vi.waitFor(() => expect(computations(countFile)).toEqual(['A', 'A']), { timeout: 20_000, interval: 50 });
    a.child.kill('SIGKILL');
    const b = startProcess(mongo, { id, tag: 'B', countFile, warmUp: [101], args: [1], lease: '2s' });
    expect(await b.results).toEqual([{ x: 1, computedBy: 'B' }]);
    expect(computations(countFile)).toEqual(['A', 'A', 'B', 'B']);
  }, 60_000);
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
    const slow = (id: string) => counted(id, (x) => new Promise<number>((resolve) => gates.push(() => resolve(x))));
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
