/**
 * The storage interface every backend implements. A backend is one folder in
 * `backends/` plus one line in `backends/registry.ts`; the engine in `engine/` owns
 * every caching decision (freshness, waiting, what to store) and a core only
 * stores, marks and finds entries.
 */

import type { WarningCode } from './warnings.js';

/** One cached result. */
export interface StoredEntry {
  /** The cached value: live in the memory core, deserialized from `node:v8` in persistent cores. */
  readonly value: unknown;
  /** When the value was computed, in epoch milliseconds of the configured clock. */
  readonly computedAt: number;
}

/** The most a function's cache may hold; each limit absent means none. */
export interface Bounds {
  /** The most entries, a positive integer. */
  readonly maxEntries?: number;
  /** The most bytes of serialized values, a positive integer. */
  readonly maxBytes?: number;
}

/** The outcome of asking to become the one caller that computes a key. */
export type ClaimResult =
  /**
   * This caller computes; pass the token to `store`, `release` and `renew`.
   * A core that reads the key's entry while claiming returns it as `current`:
   * another process may have stored it after this caller's `get`, and the
   * engine then serves it instead of computing again.
   */
  | { readonly claimed: true; readonly token: string; readonly current?: StoredEntry }
  /** Another caller (this process, another process or another machine) holds a live mark. */
  | { readonly claimed: false };

/** How long `waitForEntry` may wait. */
export interface WaitOptions {
  /** Give up after this many milliseconds; 0 means wait as long as the owner's mark is alive. */
  readonly timeoutMs: number;
  /**
   * Each look at the key (not the whole wait) must answer within this many
   * milliseconds, else the wait fails with `BackendTimeoutError`; absent means
   * no limit. Set from `backendTimeout` for server backends.
   */
  readonly lookTimeoutMs?: number;
}

/** Sinks for the messages a core reports. */
export interface CoreLog {
  /** Whether `debug` prints anything, so callers can skip building messages. */
  readonly debugEnabled: boolean;
  /** Shown with `NODE_DEBUG=cachier`. */
  debug(message: string): void;
  /** A `process` warning of type `CachierWarning`: the cache was skipped or a file was unreadable. */
  warn(message: string, code: WarningCode): void;
}

/** Everything a core needs to know about the function whose cache it holds. */
export interface CoreSettings {
  /** The function's stable id (`project:module/path.ts#qualifiedName`, or the `id` option). */
  readonly functionId: string;
  /** Hash of the function's source; entries of another hash are never served. */
  readonly sourceHash: string;
  /** Root folder of file caches. */
  readonly cacheDir: string;
  /** Whether a hit re-checks storage for other processes' updates (file core). */
  readonly reload: boolean;
  /** Python cachier's one-file-per-entry switch; the file core always keeps one file per entry and ignores it. */
  readonly separateFiles: boolean;
  /** Returns the MongoDB collection (mongo core). */
  readonly mongetter: (() => unknown) | undefined;
  /**
   * File core: the cache folder is shared on purpose by several users, so its
   * folders' owners are not checked and entries are authenticated with
   * `CACHIER_SHARED_KEY` instead. Absent means false.
   */
  readonly shared?: boolean;
  /** The client, pool or bucket of the redis, postgres or s3 core (the option named like the backend). */
  readonly connection?: unknown;
  /** How long an entry stays fresh, in milliseconds (Infinity: always); lets a core expire dead entries itself. */
  readonly staleAfterMs?: number;
  /**
   * The shelf life of one value, in milliseconds (Infinity: always fresh):
   * `staleAfter`, or what a `staleAfter` function answers for the value.
   * Lets a core expire each entry itself when staleAfter depends on the value.
   * Absent means {@link CoreSettings.staleAfterMs} for every value.
   */
  readonly shelfLifeOf?: (value: unknown) => number;
  /** Entries whose serialized value exceeds this many bytes are not stored. */
  readonly entrySizeLimit: number | undefined;
  /**
   * How much this function's cache may hold (`maxEntries`, `maxBytes`);
   * absent means unbounded. A core that has it keeps the recency of entries
   * (to the precision its storage affords) and its `store` evicts the least
   * recently used ones to stay within it.
   */
  readonly bounds?: Bounds;
  /**
   * Hears evictions a core makes after its `store` has answered (the file
   * core looks at a large cache in the background for async functions);
   * the evictions a `store` makes itself are its answer instead.
   */
  readonly onEvicted?: (count: number) => void;
  /** How long a being-calculated mark lives without renewal, in milliseconds. */
  readonly leaseMs: number;
  /** Current time in epoch milliseconds. */
  readonly clock: () => number;
  /**
   * The function's freshness policy, for cores that describe a cache to the
   * people and tools reading it (the file core's `manifest.json`); it does not
   * change what a core stores or serves.
   */
  readonly policy?: { readonly staleAfterMs: number; readonly nextTime: boolean };
  readonly log: CoreLog;
}

/** What {@link CacheCore.readAtOnce} answers when it cannot tell at once. */
export const READ_LATER: unique symbol = Symbol('read later');

/**
 * A synchronous operation answers with its value; an asynchronous one answers
 * with a promise, or with the value itself when it has it at hand (the memory
 * core does, and the engine then serves a hit without a microtask hop).
 */
export type Result<Mode extends 'sync' | 'async', T> = Mode extends 'sync' ? T : T | Promise<T>;

/**
 * The operations of a core, in the synchronous or the asynchronous flavour.
 * Leases are measured in real time (`Date.now()`), never with the injected
 * clock, which only dates entries. The optional `signal` aborts when
 * cachier's deadline on the operation (`backendTimeout`) passes: a core whose
 * driver can cancel a request hands it on (the s3 core does); the others
 * ignore it, and the operation is abandoned.
 */
export interface CoreOperations<Mode extends 'sync' | 'async'> {
  /** The entry for `key`, or `undefined`. Unreadable data counts as no entry. */
  get(key: string, signal?: AbortSignal): Result<Mode, StoredEntry | undefined>;
  /** Atomically marks `key` as being calculated by this caller unless a live mark exists. */
  claim(key: string, signal?: AbortSignal): Result<Mode, ClaimResult>;
  /** Extends the lease of a mark this caller holds. */
  renew(key: string, token: string, signal?: AbortSignal): Result<Mode, void>;
  /**
   * Stores `entry` under `key` and, when `token` is given and still owns the
   * mark, clears the mark. With {@link CoreSettings.bounds}, then removes the
   * least recently used entries the cache holds beyond them, never `key`'s
   * nor one under a live mark, and answers how many it removed (0 without
   * bounds). Throws {@link CacheWriteError} when it cannot store.
   */
  store(key: string, entry: StoredEntry, token?: string, signal?: AbortSignal): Result<Mode, number>;
  /** Clears the mark `token` holds without storing anything (the computation failed). */
  release(key: string, token: string, signal?: AbortSignal): Result<Mode, void>;
  /**
   * Waits until no live mark is held on `key`, then returns its entry (which
   * may be missing or old if the owner failed). Returns `undefined` when the
   * timeout passes first.
   */
  waitForEntry(key: string, options: WaitOptions): Result<Mode, StoredEntry | undefined>;
  /** Removes every entry of this function (of this source hash, and may also remove older ones); other functions are untouched. */
  clear(): Result<Mode, void>;
  /** Removes every being-calculated mark of this function. */
  clearBeingCalculated(): Result<Mode, void>;
  /** The number of entries stored for this function (of this source hash). */
  count(): Result<Mode, number>;
  /**
   * Removes the entry of `key` (of this source hash) and answers whether there
   * was one. A mark on the key is left to its owner, who stores as usual.
   */
  delete(key: string): Result<Mode, boolean>;
}

/** A backend instance serving one function's cache. */
export interface CacheCore extends CoreOperations<'async'> {
  /** The backend's name, as in the `backend` option. */
  readonly backend: string;
  /** Present when the backend can serve synchronous functions. */
  readonly sync: CoreOperations<'sync'> | undefined;
  /**
   * When true the core is handed the canonical encoding of the arguments as
   * its key (any length) instead of its 43-character SHA-256 digest, saving
   * the hash on every call. For in-process stores only.
   */
  readonly rawKeys?: boolean;
  /**
   * Present when the core can read a key at once, in this process and with
   * blocking calls: the engine reads through it and serves a fresh entry
   * without planning the call (no generator, no step), the cheapest hit.
   * It answers the entry, `undefined` for none (exactly what `get` would),
   * or {@link READ_LATER} when it cannot tell at once (a failure, a large
   * entry, a folder not checked yet): the engine then plans the read as usual.
   */
  readonly readAtOnce?: (key: string) => StoredEntry | undefined | typeof READ_LATER;
  /**
   * Removes this function's entries (of this source hash) for which `isStale`
   * answers true, and entries that cannot be read, and answers how many it
   * removed. Backs `deleteStale()` and `cleanupStale`. An entry rewritten
   * while the cleanup runs may be removed with it (a later call recomputes
   * it), never served stale.
   */
  deleteStale(isStale: (entry: StoredEntry) => boolean): Result<'async', number>;
  /** The bytes this function's stored values take (of this source hash, serialized), for `cacheInfo().totalBytes`. */
  totalBytes(): Result<'async', number>;
}

/** Builds a core for one function. */
export type CoreFactory = (settings: CoreSettings) => CacheCore;
