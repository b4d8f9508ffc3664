import type { CacheCore, ClaimResult, CoreOperations, CoreSettings, StoredEntry, WaitOptions } from '../../core.js';
import { checkRestorable, serializeValue } from '../../serialization.js';

interface Mark {
  readonly token: string;
  expiresAt: number;
  readonly released: Promise<void>;
  readonly release: () => void;
}

interface MemoryStore {
  readonly entries: Map<string, StoredEntry>;
  readonly marks: Map<string, Mark>;
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
    store = { entries: new Map(), marks: new Map() };
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

  const operations: CoreOperations<'sync'> = {
    get: (key) => store.entries.get(key),
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
      if (settings.entrySizeLimit !== undefined) serializeValue(entry.value, settings.entrySizeLimit);
      else checkRestorable(entry.value);
      store.entries.set(key, entry);
      if (token !== undefined) dropMark(key, token);
    },
    release: (key, token) => dropMark(key, token),
    // A synchronous caller cannot wait for a computation that can only finish
    // once it returns, so it reports a timeout and computes itself.
    waitForEntry: (key) => (liveMark(key) ? undefined : store.entries.get(key)),
    clear: () => store.entries.clear(),
    clearBeingCalculated() {
      for (const key of [...store.marks.keys()]) dropMark(key);
    },
    count: () => store.entries.size,
    delete: (key) => store.entries.delete(key),
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
        if (isStale(entry)) deleted += Number(store.entries.delete(key));
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
