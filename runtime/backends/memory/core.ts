import type { CacheCore, ClaimResult, CoreOperations, CoreSettings, StoredEntry, WaitOptions } from '../../core.js';
import { checkRestorable, serializeValue } from '../../serialization.js';

interface Mark {
  readonly token: string;
  expiresAt: number;
  readonly released: Promise<void>;
  readonly release: () => void;
}

interface MemoryStore {
  /** In recency order when the cache is bounded: least recently used first. */
  readonly entries: Map<string, StoredEntry>;
  readonly marks: Map<string, Mark>;
  /** Serialized sizes of the entries, kept only under `maxBytes`. */
  readonly sizes: Map<string, number>;
  bytes: number;
}

// Keyed by function id and source hash: a store is shared by every wrapper of
// the same function in this process. Two anonymous functions of one module
// derive one id with two source hashes, and must not evict each other.
const stores = new Map<string, MemoryStore>();
let nextToken = 0;

function storeFor(settings: CoreSettings): MemoryStore {
  const identity = `${settings.functionId}\0${settings.sourceHash}`;
  let store = stores.get(identity);
  if (!store) {
    store = { entries: new Map(), marks: new Map(), sizes: new Map(), bytes: 0 };
    stores.set(identity, store);
  }
  return store;
}

function newMark(leaseMs: number): Mark {
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { token: `memory-${process.pid}-${nextToken++}`, expiresAt: Date.now() + leaseMs, released, release };
}

/**
 * The `memory` backend: entries live in this process only and are kept as
 * live values, not copies, so a caller that mutates a returned object mutates
 * the cached one. Serves sync and async functions alike.
 */
export function createMemoryCore(settings: CoreSettings): CacheCore {
  const store = storeFor(settings);
  const liveMark = (key: string): Mark | undefined => {
    const mark = store.marks.get(key);
    if (mark && mark.expiresAt > Date.now()) return mark;
    return undefined;
  };
  const dropMark = (key: string, token?: string): void => {
    const mark = store.marks.get(key);
    if (mark && (token === undefined || mark.token === token)) {
      store.marks.delete(key);
      mark.release();
    }
  };

  const { bounds } = settings;
  const forgetSize = (key: string): void => {
    store.bytes -= store.sizes.get(key) ?? 0;
    store.sizes.delete(key);
  };
  const remove = (key: string): boolean => {
    forgetSize(key);
    return store.entries.delete(key);
  };
  // A Map iterates in insertion order: moving a used entry to the end keeps it in recency order.
  const getAndTouch = (key: string): StoredEntry | undefined => {
    const entry = store.entries.get(key);
    if (entry !== undefined) {
      store.entries.delete(key);
      store.entries.set(key, entry);
    }
    return entry;
  };
  /** Evicts from the least recently used end until the cache fits, sparing `kept` and keys in flight. */
  const evict = (kept: string): number => {
    if (!bounds) return 0;
    const maxEntries = bounds.maxEntries ?? Infinity;
    const maxBytes = bounds.maxBytes ?? Infinity;
    let evicted = 0;
    for (const key of store.entries.keys()) {
      if (store.entries.size <= maxEntries && store.bytes <= maxBytes) break;
      if (key === kept || liveMark(key)) continue;
      remove(key);
      evicted++;
    }
    return evicted;
  };

  const operations: CoreOperations<'sync'> = {
    get: bounds ? getAndTouch : (key) => store.entries.get(key),
    claim(key): ClaimResult {
      if (liveMark(key)) return { claimed: false };
      dropMark(key);
      const mark = newMark(settings.leaseMs);
      store.marks.set(key, mark);
      return { claimed: true, token: mark.token };
    },
    renew(key, token) {
      const mark = store.marks.get(key);
      if (mark?.token === token) mark.expiresAt = Date.now() + settings.leaseMs;
    },
    store(key, entry, token) {
      // Live values, but only those a persistent backend would give back as they are: a test on memory predicts file.
      let bytes: number | undefined;
      const measured = settings.entrySizeLimit !== undefined || bounds?.maxBytes !== undefined;
      if (measured) bytes = serializeValue(entry.value, settings.entrySizeLimit).length;
      else checkRestorable(entry.value);
      if (bounds) remove(key);
      store.entries.set(key, entry);
      if (bounds?.maxBytes !== undefined && bytes !== undefined) {
        store.sizes.set(key, bytes);
        store.bytes += bytes;
      }
      if (token !== undefined) dropMark(key, token);
      return evict(key);
    },
    release: (key, token) => dropMark(key, token),
    // A synchronous caller cannot wait for a computation that can only finish
    // once it returns, so it reports a timeout and computes itself.
    waitForEntry: (key) => (liveMark(key) ? undefined : store.entries.get(key)),
    clear() {
      store.entries.clear();
      store.sizes.clear();
      store.bytes = 0;
    },
    clearBeingCalculated() {
      for (const key of [...store.marks.keys()]) dropMark(key);
    },
    count: () => store.entries.size,
    delete: remove,
  };

  const waitForEntry = (key: string, options: WaitOptions): StoredEntry | undefined | Promise<StoredEntry | undefined> => {
    const mark = liveMark(key);
    if (!mark) return store.entries.get(key);
    const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Infinity;
    return waitUntilReleased(mark, deadline).then((timedOut) => (timedOut ? undefined : waitForEntry(key, options)));
  };

  return {
    backend: 'memory',
    rawKeys: true,
    readAtOnce: operations.get,
    ...operations,
    waitForEntry,
    sync: operations,
    deleteStale(isStale) {
      let deleted = 0;
      for (const [key, entry] of store.entries) {
        if (isStale(entry)) deleted += Number(remove(key));
      }
      return deleted;
    },
    // Values are kept live: their size is what they would take serialized, as in the other backends.
    totalBytes() {
      let total = 0;
      for (const entry of store.entries.values()) total += serializedSize(entry.value);
      return total;
    },
  };
}

function serializedSize(value: unknown): number {
  try {
    return serializeValue(value, undefined).length;
  } catch {
    return 0;
  }
}

/** Resolves `true` if the deadline passes first, `false` once the mark is released or its lease ends. */
async function waitUntilReleased(mark: Mark, deadline: number): Promise<boolean> {
  while (true) {
    const until = Math.min(deadline, mark.expiresAt);
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<'timer'>((resolve) => {
      timer = setTimeout(() => resolve('timer'), Math.max(0, until - Date.now()));
    });
    const outcome = await Promise.race([mark.released.then(() => 'released' as const), elapsed]);
    clearTimeout(timer);
    if (outcome === 'released') return false;
    if (Date.now() >= deadline) return true;
    if (Date.now() >= mark.expiresAt) return false;
  }
}
