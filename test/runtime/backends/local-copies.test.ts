import { describe, expect, test } from 'vitest';
import { READ_LATER, type CacheCore, type StoredEntry } from '../../../runtime/core.js';
import type { InvalidationFactory, LocalCopies } from '../../../runtime/backends/shared/invalidation.js';
import { withLocalTier } from '../../../runtime/backends/shared/local-tier.js';
import { digestKey } from '../../../runtime/keys.js';

// The local tier's rules that no server can show deterministically: a read
// overtaken by an invalidation is not kept, eviction order, and bounds.

/** A core whose reads wait until the test answers them, and a channel the test drives. */
function tierOver(bounds: { maxEntries?: number; maxBytes?: number } = {}) {
  const pending: Array<{ key: string; answer: (entry: StoredEntry | undefined) => void }> = [];
  const reads: string[] = [];
  const unused = (): never => {
    throw new Error('not used by these tests');
  };
  const core: CacheCore = {
    backend: 'fake',
    sync: undefined,
    get: (key) => {
      reads.push(key);
      return new Promise<StoredEntry | undefined>((answer) => pending.push({ key, answer }));
    },
    claim: unused,
    renew: unused,
    store: unused,
    release: unused,
    waitForEntry: unused,
    clear: unused,
    clearBeingCalculated: unused,
    count: unused,
    delete: unused,
    deleteStale: unused,
    totalBytes: unused,
  };
  let copies: LocalCopies | undefined;
  const factory: InvalidationFactory = (settings) => {
    copies = settings.copies;
    return { announce: async () => undefined, ready: () => true };
  };
  const tier = withLocalTier(core, {
    maxEntries: bounds.maxEntries ?? 100,
    maxBytes: bounds.maxBytes ?? 1 << 20,
    functionId: 'f',
    sourceHash: 'v1',
    connection: {},
    loadChannel: async () => factory,
    timeoutMs: 1000,
    shelfLifeOf: () => Infinity,
    clock: Date.now,
    log: { debugEnabled: false, debug: () => undefined, warn: () => undefined },
  });
  return { tier, pending, reads, copies: () => copies as LocalCopies };
}

const entry = (value: unknown): StoredEntry => ({ value, computedAt: Date.now() });

/** Reads `key` through the tier, answering the core's read with `value` if it gets one. */
async function read(setup: ReturnType<typeof tierOver>, key: string, value: unknown): Promise<unknown> {
  const answer = setup.tier.get(key);
  setup.pending.shift()?.answer(entry(value));
  return ((await answer) as StoredEntry).value;
}

describe('local copies', () => {
  test('a read answered after another process changed the key is served but not kept', async () => {
    const setup = tierOver();
    await new Promise((resolve) => setImmediate(resolve));
    const reading = setup.tier.get('[1]');
    setup.copies().drop(digestKey('[1]'));
    setup.pending.shift()?.answer(entry('old'));
    expect(((await reading) as StoredEntry).value).toBe('old');
    expect(setup.tier.readAtOnce!('[1]')).toBe(READ_LATER);
  });

  test('a copy is kept and served at once; a drop by backend key removes it', async () => {
    const setup = tierOver();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await read(setup, '[1]', 'one')).toBe('one');
    expect((setup.tier.readAtOnce!('[1]') as StoredEntry).value).toBe('one');
    setup.copies().drop(digestKey('[1]'));
    expect(setup.tier.readAtOnce!('[1]')).toBe(READ_LATER);
    expect(setup.reads).toEqual([digestKey('[1]')]);
  });

  test('beyond maxEntries, the copy not used since goes first', async () => {
    const setup = tierOver({ maxEntries: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    await read(setup, '[1]', 1);
    await read(setup, '[2]', 2);
    setup.tier.readAtOnce?.('[1]');
    await read(setup, '[3]', 3);
    expect(setup.tier.readAtOnce!('[2]')).toBe(READ_LATER);
    expect((setup.tier.readAtOnce!('[1]') as StoredEntry).value).toBe(1);
    expect((setup.tier.readAtOnce!('[3]') as StoredEntry).value).toBe(3);
  });

  test('beyond maxBytes, older copies go, and a value larger than maxBytes is not kept', async () => {
    const setup = tierOver({ maxBytes: 1500 });
    await new Promise((resolve) => setImmediate(resolve));
    await read(setup, '[1]', 'a'.repeat(600));
    await read(setup, '[2]', 'b'.repeat(600));
    await read(setup, '[3]', 'c'.repeat(600));
    expect(setup.tier.readAtOnce!('[1]')).toBe(READ_LATER);
    expect(setup.tier.readAtOnce!('[3]')).not.toBe(READ_LATER);
    await read(setup, '[4]', 'd'.repeat(2000));
    expect(setup.tier.readAtOnce!('[4]')).toBe(READ_LATER);
  });
});
