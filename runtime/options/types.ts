import type { Duration } from '../duration.js';
import type { ByteSize } from '../size.js';
import type { Bounds } from '../core.js';
import type { BackendName } from '../backends/registry.js';
import type { MongoCollection } from '../backends/mongo/collection.js';
import type { RedisOption } from '../backends/redis/client.js';
import type { PostgresOption } from '../backends/postgres/pool.js';
import type { S3Option } from '../backends/s3/location.js';

/**
 * Any function cachier can wrap. `any[]` is the one parameter list every
 * function is assignable to and callable through (as in p-memoize); the
 * wrapper's own type is always the caller's exact `F`.
 */
// biome-ignore lint/suspicious/noExplicitAny: parameters are contravariant, so only any[] accepts every function's parameters.
export type AnyFunction = (...args: any[]) => unknown;

/** Where entries are kept: the name of a backend of the registry (`runtime/backends/registry.ts`). */
export type Backend = BackendName;

/**
 * Returns the MongoDB `Collection` (or a promise of one) that holds the cache;
 * it needs write permission and may hold other functions' caches too.
 */
export type Mongetter = () => MongoCollection | Promise<MongoCollection>;

/** Options shared by {@link cachier} and {@link setDefaults}. */
export interface SharedOptions {
  /**
   * How long a result stays fresh: milliseconds or a duration such as `500ms`,
   * `30s`, `5m`, `3h`, `3d`, `2w`, `1h30m`. An older entry is recomputed.
   * @defaultValue never stale
   */
  staleAfter?: Duration;
  /**
   * When an entry is stale, return it at once and refresh it in the background
   * (one refresh per key, across processes) instead of waiting for the new value.
   * @defaultValue false
   */
  nextTime?: boolean;
  /**
   * Where entries live: `file` (persistent, shared by the machine's processes),
   * `memory` (this process only, values kept live, not copied), or `mongo`
   * (shared across machines; needs `mongetter`; async functions only), or
   * `redis`, `postgres`, `s3` (shared across machines; need the option of the
   * same name; async functions only).
   * @defaultValue 'file'
   */
  backend?: Backend;
  /**
   * Folder of the file backend.
   * @defaultValue `$CACHIER_DIR`, else `~/.cachier`
   */
  cacheDir?: string;
  /**
   * File backend: check on every hit for entries other processes wrote or
   * cleared. `false` trusts this process's view (faster; like pickle_reload=False).
   * @defaultValue true
   */
  reload?: boolean;
  /**
   * File backend: accepted for compatibility with Python cachier and has no
   * effect, because the file backend always keeps one file per entry (that is
   * what keeps each call's cost independent of the number of entries).
   * @defaultValue false
   */
  separateFiles?: boolean;
  /**
   * File backend: the cache folder is shared on purpose by several users (a
   * team cache). Its folders may then belong to others and be writable by the
   * group, which a private cache refuses; instead, every entry is signed with
   * an HMAC keyed by the `CACHIER_SHARED_KEY` environment variable (at least
   * 16 characters, the same in every sharing process), and entries without a
   * valid signature are misses. New files and folders are group-writable.
   * @defaultValue false
   */
  shared?: boolean;
  /**
   * How long to wait for another caller already computing the same key before
   * computing it here. `0` waits as long as that caller is alive and holds its lease.
   * @defaultValue 0
   */
  waitForCalcTimeout?: Duration;
  /**
   * Cache `undefined` results too (Python's allow_none).
   * @defaultValue false
   */
  allowUndefined?: boolean;
  /**
   * Let a method's calls on different instances share one cache, as if `this`
   * were not there (Python's allow_non_static_methods). By default a call made
   * on an object (`shop.price()`) includes that object in its key, and throws
   * `UnkeyableThisError` when the object is neither plain data nor has a
   * `[cachierKey]()` method. Calls without an object, on a class (static
   * methods) or on a module's exports are unaffected either way.
   * @defaultValue false
   */
  allowNonStaticMethods?: boolean;
  /** MongoDB backend: returns the collection that holds the cache. */
  mongetter?: Mongetter;
  /** Redis backend: an ioredis client, or a function returning one (or a promise of one). */
  redis?: RedisOption;
  /** PostgreSQL backend: a `pg` Pool, or a function returning one (or a promise of one). */
  postgres?: PostgresOption;
  /** S3 backend: `{ client, bucket, prefix? }`, or a function returning it (or a promise of it). */
  s3?: S3Option;
  /**
   * Shared backends (mongo, redis, postgres, s3): keep a copy of each entry
   * read or stored in this process's memory and serve hits from it, with no
   * round trip. A store, `clearCache()`, forget or `precache()` in any process
   * that also sets `local` drops the copies in the others: at once over Redis
   * pub/sub or PostgreSQL LISTEN/NOTIFY, within 1 s on MongoDB and S3 (a
   * per-function generation checked at most once a second). A copy is never
   * served past its shelf life, and hits keep being served while the backend
   * is unreachable. `true` bounds the tier to 10,000 entries and 64 MB;
   * an object sets the bounds (the least recently used copies go first).
   * Refused with the memory and file backends (see docs/local-tier.md).
   * @defaultValue false
   */
  local?: boolean | LocalTierOptions;
  /**
   * Results whose serialized size exceeds this are returned but not stored:
   * bytes, or a size such as `64KB`, `10MB`.
   * The file backend reads no entry file larger than this allows, so a huge
   * file where an entry should be costs one `fstat`, not its size in memory.
   * @defaultValue 256MB for the file backend; no limit for the others (mongo still cannot exceed 16 MiB)
   */
  entrySizeLimit?: ByteSize;
  /**
   * The most entries this function's cache keeps, a whole number above 0.
   * A store beyond it evicts the least recently used entries (a hit counts as
   * a use), never the entry just stored nor one being computed; evictions
   * are counted in `cacheInfo().evictions`. How exactly each backend tracks
   * recency, and when it evicts, is in docs/bounded-caches.md.
   * @defaultValue no limit
   */
  maxEntries?: number;
  /**
   * The most bytes this function's cache keeps, as `cacheInfo().totalBytes`
   * counts them: bytes, or a size such as `64KB`, `10MB`. Evicts like
   * {@link SharedOptions.maxEntries}.
   * @defaultValue no limit
   */
  maxBytes?: ByteSize;
  /**
   * How long a being-calculated mark lives without renewal. The computing
   * caller renews it every third of this while an async computation runs, so a
   * computation may take longer; a crashed caller blocks others at most this long.
   * @defaultValue '30s'
   */
  lease?: Duration;
  /**
   * cachier's own deadline on each operation against a server backend
   * (redis, postgres, s3, mongo), whatever the client's own timeouts: an
   * operation not finished within it is abandoned (aborted, for S3) and
   * counts as a backend failure, so a hung server costs a call at most this
   * long. While waiting for another caller's computation, it bounds each look
   * at the key, not the wait. A value of tens of MB over a slow link needs a
   * longer one (see docs/failures.md). Ignored by the memory and file backends.
   * @defaultValue '2s'
   */
  backendTimeout?: Duration;
  /**
   * Throw when the backend fails (unreachable, timed out, unwritable) instead
   * of warning and calling the function uncached.
   * @defaultValue false
   */
  strict?: boolean;
  /**
   * How long past `staleAfter` a stale entry may still be served when
   * recomputing it fails (the function throws or rejects): the call then
   * answers the stale value with a `CACHIER_SERVED_STALE` warning instead of
   * the error, and the key is not recomputed for `graceBackoff`. An older entry,
   * or no entry, lets the error through.
   * @defaultValue off
   */
  grace?: Duration;
  /**
   * After recomputing a key failed and its stale value was served within
   * `grace`, how long calls of that key get the stale value at once, without
   * calling the function again.
   * @defaultValue '10s'
   */
  graceBackoff?: Duration;
  /**
   * Async functions: when a stale entry exists and the call has waited this
   * long for the new value (its own computation or another caller's), it
   * answers the stale value; the computation goes on and stores its result.
   * Without a stale entry the call keeps waiting. A sync function given it is refused.
   * @defaultValue off
   */
  timeout?: Duration;
  /**
   * Async functions: a call that has waited this long for its value (its own
   * computation or another caller's) rejects with `ComputeTimeoutError`; the
   * computation goes on and stores its result for later calls. A sync function given it is refused.
   * @defaultValue off
   */
  hardTimeout?: Duration;
  /**
   * Delete entries older than `staleAfter` in the background, at most once
   * every `cleanupInterval` per process, started by a call (Python's cleanup_stale).
   * @defaultValue false
   */
  cleanupStale?: boolean;
  /**
   * The least time between two background cleanups of one function, as a duration.
   * @defaultValue '1d'
   */
  cleanupInterval?: Duration;
  /**
   * Count hits, misses, computations and the rest, and time a sample of hits
   * and every computation, for `cacheInfo()` and the Prometheus and
   * OpenTelemetry exporters. `false` skips all of it.
   * @defaultValue true
   */
  metrics?: boolean;
  /**
   * The share of hits whose latency is timed, from 0 (none) to 1 (all);
   * computations are always timed. Timing every hit costs two clock reads per hit.
   * @defaultValue 0.01
   */
  metricsSamplingRate?: number;
}

/**
 * What `this` is for `F`. A method's signature does not name its class, so
 * where `F` declares no `this`, a `hash` may take the receiver as any type
 * (`(args, shop: Shop) => ...`).
 */
// biome-ignore lint/suspicious/noExplicitAny: no type can be written for an undeclared receiver.
export type ReceiverOf<F extends AnyFunction> = unknown extends ThisParameterType<F> ? any : ThisParameterType<F>;

/**
 * A shelf life read from the result itself, e.g. an HTTP response's max-age:
 * called with the cached value whenever its freshness is judged.
 */
export type ShelfLife<T> = (value: T) => Duration;

/** Options of {@link cachier}; every field is optional. */
export interface CachierOptions<F extends AnyFunction = AnyFunction> extends Omit<SharedOptions, 'staleAfter'> {
  /**
   * How long a result stays fresh: milliseconds, a duration such as `500ms`,
   * `30s`, `5m`, `3h`, `3d`, `2w`, `1h30m`, or a function of the cached value
   * returning one (`(response) => response.maxAgeSeconds * 1000`). An older entry is recomputed.
   * @defaultValue never stale
   */
  staleAfter?: Duration | ShelfLife<Awaited<ReturnType<F>>>;
  /**
   * Maps the arguments (and `this`, for methods) to a keyable value, for
   * arguments cachier cannot key itself or should not key whole.
   * @example `hash: ([order]) => order.id`
   * @defaultValue the canonical encoding of all arguments, and of `this` for a method called on an instance
   */
  hash?: (args: Parameters<F>, thisArg: ReceiverOf<F>) => unknown;
  /**
   * The cache's stable name, shared by every process that runs this function.
   * @defaultValue `<project>:<module path>#<qualified name>`, e.g. `my-app:src/prices.ts#fetchPrice`: the name of
   *   the nearest package.json that has one (else its folder), the module's path in that package and the function's
   *   name (set by the transformer, or derived from the calling module without it). Two projects share a cache only
   *   when they give the same `id`
   */
  id?: string;
  /**
   * Hash of the function's source, part of the cache identity so editing the
   * function invalidates its cache.
   * @defaultValue set by the transformer (insensitive to formatting and comments);
   *   without it, a hash of `fn.toString()`
   */
  sourceHash?: string;
}

/** Global settings of {@link setDefaults}. */
export interface CachierDefaults extends SharedOptions {
  /**
   * The clock deciding staleness, in epoch milliseconds. Inject one in tests
   * instead of sleeping.
   * @defaultValue `Date.now`
   */
  clock?: () => number;
  /**
   * Maps the arguments (and `this`) of every cached function without its own
   * `hash` option to a keyable value (Python's global hash_func).
   * @defaultValue the canonical encoding of all arguments
   */
  hash?: (args: unknown[], thisArg: unknown) => unknown;
}

/** Defaults with no built-in value: the connection of each server backend, the size limit and the key function. */
type UnsetDefaults =
  | 'mongetter'
  | 'redis'
  | 'postgres'
  | 's3'
  | 'entrySizeLimit'
  | 'maxEntries'
  | 'maxBytes'
  | 'hash'
  | 'grace'
  | 'timeout'
  | 'hardTimeout';
/** The defaults in force: every setting of {@link CachierDefaults} with its effective value. */
export type EffectiveDefaults = Readonly<Required<Omit<CachierDefaults, UnsetDefaults>> & Pick<CachierDefaults, UnsetDefaults>>;

/** The bounds of a local tier (the `local` option); the least recently used copies are dropped first. */
export interface LocalTierOptions {
  /**
   * The most copies kept.
   * @defaultValue 10000
   */
  readonly maxEntries?: number;
  /**
   * The most bytes the copies' serialized values take: bytes, or a size such as `64MB`.
   * @defaultValue '64MB'
   */
  readonly maxBytes?: ByteSize;
}

/** The bounds of a local tier, resolved. */
export interface LocalTierBounds {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** Options resolved to the values the engine uses. */
export interface ResolvedOptions {
  readonly staleAfterMs: number;
  /** Set when `staleAfter` is a function of the value. */
  readonly shelfLife: ShelfLife<unknown> | undefined;
  readonly nextTime: boolean;
  readonly backend: Backend;
  readonly cacheDir: string;
  readonly reload: boolean;
  readonly separateFiles: boolean;
  readonly shared: boolean;
  readonly waitForCalcTimeoutMs: number;
  readonly allowUndefined: boolean;
  readonly allowNonStaticMethods: boolean;
  readonly mongetter: Mongetter | undefined;
  /** The connection option of each backend that has one, by option name (`redis`, `postgres`, `s3`, `mongetter`), as given. */
  readonly connections: Readonly<Record<string, unknown>>;
  readonly entrySizeLimit: number | undefined;
  /** `undefined` when neither `maxEntries` nor `maxBytes` is set. */
  readonly bounds: Bounds | undefined;
  readonly leaseMs: number;
  readonly backendTimeoutMs: number;
  /** 0 when off. */
  readonly graceMs: number;
  readonly graceBackoffMs: number;
  /** `undefined` when off. */
  readonly timeoutMs: number | undefined;
  /** `undefined` when off. */
  readonly hardTimeoutMs: number | undefined;
  readonly strict: boolean;
  readonly cleanupStale: boolean;
  readonly cleanupIntervalMs: number;
  readonly metrics: boolean;
  readonly metricsSamplingRate: number;
  readonly hash: ((args: unknown[], thisArg: unknown) => unknown) | undefined;
  /** `undefined` when there is no local tier. */
  readonly local: LocalTierBounds | undefined;
  readonly clock: () => number;
}
