import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration, type Duration } from './duration.js';
import { InvalidOptionError, CachierError } from './errors.js';
import { parseByteSize, type ByteSize } from './size.js';
import type { MongoCollection } from './backends/mongo/collection.js';
import type { RedisOption } from './backends/redis/client.js';
import type { PostgresOption } from './backends/postgres/pool.js';
import type { S3Option } from './backends/s3/location.js';

/**
 * Any function cachier can wrap. `any[]` is the one parameter list every
 * function is assignable to and callable through (as in p-memoize); the
 * wrapper's own type is always the caller's exact `F`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/** Where entries are kept. */
export type Backend = 'memory' | 'file' | 'mongo' | 'redis' | 'postgres' | 's3';

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
  /** MongoDB backend: returns the collection that holds the cache. */
  mongetter?: Mongetter;
  /** Redis backend: an ioredis client, or a function returning one (or a promise of one). */
  redis?: RedisOption;
  /** PostgreSQL backend: a `pg` Pool, or a function returning one (or a promise of one). */
  postgres?: PostgresOption;
  /** S3 backend: `{ client, bucket, prefix? }`, or a function returning it (or a promise of it). */
  s3?: S3Option;
  /**
   * Results whose serialized size exceeds this are returned but not stored:
   * bytes, or a size such as `64KB`, `10MB`.
   * The file backend reads no entry file larger than this allows, so a huge
   * file where an entry should be costs one `fstat`, not its size in memory.
   * @defaultValue 256MB for the file backend; no limit for the others (mongo still cannot exceed 16 MiB)
   */
  entrySizeLimit?: ByteSize;
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- no type can be written for an undeclared receiver
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
   * @defaultValue the canonical encoding of all arguments; `this` is not part of the key
   */
  hash?: (args: Parameters<F>, thisArg: ReceiverOf<F>) => unknown;
  /**
   * The cache's stable name, shared by every process that runs this function.
   * @defaultValue set by the transformer to `module/path.ts#qualifiedName`;
   *   without it, the calling module's path in its package plus the function's name
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

/** The defaults in force: every setting of {@link CachierDefaults} with its effective value. */
/** Defaults with no built-in value: the connection of each server backend, the size limit and the key function. */
type UnsetDefaults = 'mongetter' | 'redis' | 'postgres' | 's3' | 'entrySizeLimit' | 'hash';
export type EffectiveDefaults = Readonly<Required<Omit<CachierDefaults, UnsetDefaults>> & Pick<CachierDefaults, UnsetDefaults>>;

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
  readonly mongetter: Mongetter | undefined;
  readonly redis: RedisOption | undefined;
  readonly postgres: PostgresOption | undefined;
  readonly s3: S3Option | undefined;
  readonly entrySizeLimit: number | undefined;
  readonly leaseMs: number;
  readonly backendTimeoutMs: number;
  readonly strict: boolean;
  readonly cleanupStale: boolean;
  readonly cleanupIntervalMs: number;
  readonly metrics: boolean;
  readonly metricsSamplingRate: number;
  readonly hash: ((args: unknown[], thisArg: unknown) => unknown) | undefined;
  readonly clock: () => number;
}

const BACKENDS: readonly Backend[] = ['memory', 'file', 'mongo', 'redis', 'postgres', 's3'];

/** The option each shared backend needs, named like the backend (mongo keeps Python's `mongetter`). */
const CONNECTION_OPTIONS = { mongo: 'mongetter', redis: 'redis', postgres: 'postgres', s3: 's3' } as const;

type Check = (value: unknown, option: string) => void;

const isBoolean: Check = (value, option) => {
  if (typeof value !== 'boolean') throw new InvalidOptionError(option, `expected true or false, got ${describe(value)}`);
};
const isFunction: Check = (value, option) => {
  if (typeof value !== 'function') throw new InvalidOptionError(option, `expected a function, got ${describe(value)}`);
};
const isNonEmptyString: Check = (value, option) => {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionError(option, `expected a non-empty string, got ${describe(value)}`);
  }
};
const isDuration: Check = (value, option) => {
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new InvalidOptionError(option, `expected milliseconds or a duration such as '3d', got ${describe(value)}`);
  }
  try {
    parseDuration(value);
  } catch (error) {
    throw new InvalidOptionError(option, (error as Error).message.replace(/^cachier: /, ''));
  }
};
const isBackend: Check = (value, option) => {
  if (!BACKENDS.includes(value as Backend)) {
    throw new InvalidOptionError(option, `expected one of ${BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${describe(value)}`);
  }
};
const isObjectOrFunction: Check = (value, option) => {
  if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError(option, `expected a client object or a function returning one, got ${describe(value)}`);
  }
};
const isByteSize: Check = (value, option) => {
  parseByteSize(value as ByteSize, option);
};
const isRate: Check = (value, option) => {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidOptionError(option, `expected a number from 0 to 1, got ${describe(value)}`);
  }
};

const SHARED_CHECKS: Readonly<Record<keyof SharedOptions, Check>> = {
  staleAfter: isDuration,
  nextTime: isBoolean,
  backend: isBackend,
  cacheDir: isNonEmptyString,
  reload: isBoolean,
  separateFiles: isBoolean,
  shared: isBoolean,
  waitForCalcTimeout: isDuration,
  allowUndefined: isBoolean,
  mongetter: isFunction,
  redis: isObjectOrFunction,
  postgres: isObjectOrFunction,
  s3: isObjectOrFunction,
  entrySizeLimit: isByteSize,
  lease: (value, option) => {
    isDuration(value, option);
    if (parseDuration(value as Duration) <= 0) throw new InvalidOptionError(option, 'must be longer than 0ms');
  },
  backendTimeout: (value, option) => {
    isDuration(value, option);
    if (parseDuration(value as Duration) <= 0) throw new InvalidOptionError(option, 'must be longer than 0ms');
  },
  strict: isBoolean,
  cleanupStale: isBoolean,
  cleanupInterval: isDuration,
  metrics: isBoolean,
  metricsSamplingRate: isRate,
};

const OPTION_CHECKS: Readonly<Record<keyof CachierOptions, Check>> = {
  ...SHARED_CHECKS,
  staleAfter: (value, option) => (typeof value === 'function' ? undefined : isDuration(value, option)),
  hash: isFunction,
  id: isNonEmptyString,
  sourceHash: isNonEmptyString,
};

const DEFAULTS_CHECKS: Readonly<Record<keyof CachierDefaults, Check>> = { ...SHARED_CHECKS, clock: isFunction, hash: isFunction };

/** Throws {@link InvalidOptionError} for an unknown option or a bad value in `cachier()` options. */
export function validateOptions(options: unknown): void {
  validateAgainst(options, OPTION_CHECKS, 'cachier() options');
  checkBackendFits(options as CachierOptions);
}

/** The backend named, or implied by a `mongetter` (as in Python). */
export function impliedBackend(options: Pick<SharedOptions, 'backend' | 'mongetter'>): Backend | undefined {
  return options.backend ?? (options.mongetter === undefined ? undefined : 'mongo');
}

function checkBackendFits(options: Pick<CachierOptions, 'backend' | 'mongetter' | 'cacheDir' | 'reload' | 'separateFiles' | 'shared'>): void {
  const { cacheDir, reload, separateFiles, shared } = options;
  const backend = impliedBackend(options);
  if (backend === undefined) return;
  const fileOnly = { cacheDir, reload, separateFiles, shared };
  for (const [name, value] of Object.entries(fileOnly)) {
    if (value !== undefined && backend !== 'file') {
      throw new InvalidOptionError(name, `applies to the file backend only, but backend is '${backend}'; remove one of them`);
    }
  }
  for (const [owner, name] of Object.entries(CONNECTION_OPTIONS)) {
    if ((options as Record<string, unknown>)[name] !== undefined && backend !== owner) {
      throw new InvalidOptionError(name, `applies to the ${owner} backend only, but backend is '${backend}'; remove one of them`);
    }
  }
}

const CALL_OPTION_CHECKS: Readonly<Record<string, Check>> = {
  skipCache: isBoolean,
  overwriteCache: isBoolean,
  maxAge: (value, option) => {
    if (typeof value === 'number' && value < 0) {
      throw new InvalidOptionError(
        option,
        `must not be negative, got ${value}; to recompute whatever the entry's age (Python's negative max_age), use overwriteCache: true`,
      );
    }
    isDuration(value, option);
  },
  staleAfter: isDuration,
  nextTime: isBoolean,
  allowUndefined: isBoolean,
  waitForCalcTimeout: isDuration,
  debug: isBoolean,
};

/** Throws {@link InvalidOptionError} for an unknown override or a bad value in `withOptions()`. */
export function validateCallOptions(overrides: object): void {
  for (const [name, value] of Object.entries(overrides)) {
    const check = CALL_OPTION_CHECKS[name];
    if (!check) throw new InvalidOptionError(name, `is not a per-call option; use ${Object.keys(CALL_OPTION_CHECKS).join(', ')}`);
    if (value !== undefined) check(value, name);
  }
}

/** Throws {@link InvalidOptionError} for an unknown setting or a bad value in `setDefaults()`. */
export function validateDefaults(defaults: unknown): void {
  validateAgainst(defaults, DEFAULTS_CHECKS, 'setDefaults()');
}

function validateAgainst(options: unknown, checks: Readonly<Record<string, Check>>, where: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CachierError(`cachier: ${where} must be an object, got ${describe(options)}`);
  }
  for (const [name, value] of Object.entries(options)) {
    const check = checks[name];
    if (!check) {
      const suggestion = closestName(name, Object.keys(checks));
      throw new InvalidOptionError(
        name,
        `is not an option of ${where}${suggestion ? `; did you mean "${suggestion}"?` : ''} ` +
          `Known options: ${Object.keys(checks).join(', ')}`,
      );
    }
    if (value !== undefined) check(value, name);
  }
}

const CONNECTION_HINTS = {
  redis: `an ioredis client, e.g. redis: new Redis(process.env.REDIS_URL)`,
  postgres: `a pg Pool, e.g. postgres: new pg.Pool({ connectionString: process.env.DATABASE_URL })`,
  s3: `the bucket to use, e.g. s3: { client: new S3Client({}), bucket: 'my-cache' }`,
} as const;

/**
 * Merges a function's options over the global defaults and the environment,
 * and turns durations and sizes into numbers.
 */
export function resolveOptions(options: CachierOptions, defaults: CachierDefaults): ResolvedOptions {
  const pick = <K extends keyof SharedOptions>(name: K): SharedOptions[K] => (options as SharedOptions)[name] ?? defaults[name];
  const backend = impliedBackend(options) ?? impliedBackend(defaults) ?? 'file';
  const mongetter = pick('mongetter');
  if (backend === 'mongo' && mongetter === undefined) {
    throw new InvalidOptionError('mongetter', `backend 'mongo' needs a mongetter: a function returning the MongoDB collection to use`);
  }
  if ((backend === 'redis' || backend === 'postgres' || backend === 's3') && pick(backend) === undefined) {
    throw new InvalidOptionError(backend, `backend '${backend}' needs the ${backend} option: ${CONNECTION_HINTS[backend]}`);
  }
  const entrySizeLimit = pick('entrySizeLimit');
  const staleAfter = options.staleAfter ?? defaults.staleAfter;
  return {
    staleAfterMs: typeof staleAfter === 'function' ? Infinity : parseDuration(staleAfter ?? Infinity),
    shelfLife: typeof staleAfter === 'function' ? (staleAfter as ShelfLife<unknown>) : undefined,
    nextTime: pick('nextTime') ?? false,
    backend,
    cacheDir: resolve(expandHome(pick('cacheDir') ?? defaultCacheDir())),
    reload: pick('reload') ?? true,
    separateFiles: pick('separateFiles') ?? false,
    shared: pick('shared') ?? false,
    waitForCalcTimeoutMs: parseDuration(pick('waitForCalcTimeout') ?? 0),
    allowUndefined: pick('allowUndefined') ?? false,
    mongetter,
    redis: pick('redis'),
    postgres: pick('postgres'),
    s3: pick('s3'),
    entrySizeLimit: entrySizeLimit === undefined ? undefined : parseByteSize(entrySizeLimit, 'entrySizeLimit'),
    leaseMs: parseDuration(pick('lease') ?? BUILT_IN_DEFAULTS.lease),
    backendTimeoutMs: parseDuration(pick('backendTimeout') ?? BUILT_IN_DEFAULTS.backendTimeout),
    strict: pick('strict') ?? false,
    cleanupStale: pick('cleanupStale') ?? false,
    cleanupIntervalMs: parseDuration(pick('cleanupInterval') ?? BUILT_IN_DEFAULTS.cleanupInterval),
    metrics: pick('metrics') ?? true,
    metricsSamplingRate: pick('metricsSamplingRate') ?? BUILT_IN_DEFAULTS.metricsSamplingRate,
    hash: (options.hash as ResolvedOptions['hash']) ?? defaults.hash,
    clock: defaults.clock ?? Date.now,
  };
}

/** The value of every setting nobody has set. */
const BUILT_IN_DEFAULTS = {
  staleAfter: Infinity,
  nextTime: false,
  backend: 'file',
  reload: true,
  separateFiles: false,
  waitForCalcTimeout: 0,
  allowUndefined: false,
  lease: '30s',
  backendTimeout: '2s',
  strict: false,
  cleanupStale: false,
  cleanupInterval: '1d',
  metrics: true,
  metricsSamplingRate: 0.01,
  shared: false,
  clock: Date.now,
} as const;

/** `$CACHIER_DIR`, else `~/.cachier`. */
function defaultCacheDir(): string {
  return process.env['CACHIER_DIR'] || join(homedir(), '.cachier');
}

/** A leading `~` (alone or before a separator) is the user's home folder, as in a shell. */
function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') || path.startsWith('~\\') ? join(homedir(), path.slice(1)) : path;
}

/** The defaults in force: what was set with `setDefaults`, over the built-in values. */
export function effectiveDefaults(defaults: CachierDefaults): EffectiveDefaults {
  const given = Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined));
  return { ...BUILT_IN_DEFAULTS, cacheDir: resolve(expandHome(defaultCacheDir())), ...given };
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'undefined' || value === null) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** The known name closest to a misspelt one (edit distance at most a third of its length). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
