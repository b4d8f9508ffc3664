import { backendNamed } from './backends/registry.js';
import { deriveIdentity, sourceHashOf } from './default-identity.js';
import { FunctionCache, NO_OVERRIDES, resolveCallOptions, type CacheInfo, type CallOptions, type CallSettings } from './engine/index.js';
import { CachierError, InvalidArgumentError, InvalidOptionError, NotCachedError, type UnkeyableThisError } from './errors.js';
import { impliedBackend, validateCallOptions, validateOptions, type AnyFunction, type CachierOptions } from './options.js';

/** The controls every cached function carries. */
export interface CacheControls<F extends AnyFunction> {
  /** Removes every entry of this function (other functions' caches are untouched). */
  clearCache(): Promise<void>;
  /**
   * Removes the entry of exactly these arguments, the one a call with them
   * would be served, on every backend; resolves to `true` when there was
   * one. A computation of these arguments already under way in this process
   * is not served to later calls (callers already waiting for it still get
   * its value) and does not store its value; one under way in another
   * process stores it when it ends, as after `clearCache()`.
   *
   * For a method whose `hash` keys on `this`, give the instance as `this`:
   * `Shop.prototype.price.forget.call(shop, item)`.
   *
   * @example
   * ```ts
   * await prices.forget('ACME'); // true: the next prices('ACME') computes again
   * ```
   * @throws {@link UnkeyableArgumentError} (as a rejection) for arguments a call could not key either.
   */
  forget(...args: Parameters<F>): Promise<boolean>;
  /** Removes this function's being-calculated marks, e.g. after a crash, so nobody waits on them. */
  clearBeingCalculated(): Promise<void>;
  /** Stores `value` as the fresh result for `args`, without calling the function, and answers it. */
  precache(args: Parameters<F>, value: Awaited<ReturnType<F>>): Promise<Awaited<ReturnType<F>>>;
  /**
   * Entry count and size, and the usage figures of this wrapper in this
   * process: hits, misses, stale hits, computations, waits, wait timeouts,
   * results refused by size, stale values served (grace, timeout), hard
   * timeouts, backend failures and state, and latencies of sampled hits and of computations.
   */
  cacheInfo(): Promise<CacheInfo>;
  /** Sets the usage figures of `cacheInfo()` back to zero (entries are untouched). */
  resetMetrics(): void;
  /**
   * Removes the entries that are stale now (older than `staleAfter`, or
   * stamped in the future by a clock set back since) and answers how many;
   * `cleanupStale` runs it in the background.
   */
  deleteStale(): Promise<number>;
  /**
   * The same function with per-call overrides: `fn.withOptions({ overwriteCache: true })(arg)`.
   * @throws {@link InvalidOptionError} for unknown overrides or bad values.
   */
  withOptions(overrides: CallOptions): F;
}

/** A function wrapped by {@link cachier}: the original signature, plus its {@link CacheControls}. */
export type CachedFunction<F extends AnyFunction> = F & CacheControls<F>;

const caches = new WeakMap<AnyFunction, FunctionCache>();

/** The cache of each function given to {@link cachier}, by the function as defined (unwrapped). */
const definitions = new WeakMap<AnyFunction, FunctionCache>();

/**
 * The cache of the first definition, taken over by a redefinition: a module
 * evaluated again wraps the same function anew, and shares its entries,
 * computations in flight and metrics instead of being refused.
 */
function cacheOfRedefined(first: AnyFunction | undefined, fn: AnyFunction, options: CachierOptions): FunctionCache | undefined {
  const cache = first && definitions.get(first);
  cache?.adopt(fn, options);
  return cache;
}

/**
 * Wraps `fn` so that its results are cached, persisted and shared: calls
 * with equal arguments return the stored value until it is older than
 * `staleAfter`; concurrent callers (in this process, other processes, or other
 * machines) compute a key once. The wrapper keeps `fn`'s exact type, sync
 * stays sync and async stays async.
 *
 * Called as a method of an instance (`shop.price()`), the key includes
 * `this`, which must be plain data or have a `[cachierKey]()` method (else
 * the call throws {@link UnkeyableThisError}), unless `allowNonStaticMethods`
 * shares one cache across instances; calls without an object, static methods
 * and a module's exports key on the arguments alone.
 *
 * @example
 * ```ts
 * export const prices = cachier(async function prices(symbol: string) {
 *   return fetchPrices(symbol);
 * }, { staleAfter: '3d' });
 * await prices('ACME'); // computed
 * await prices('ACME'); // served from ~/.cachier
 * ```
 * @throws {@link InvalidOptionError} naming an unknown option or bad value, or
 *   (option `id`) when no `id` is given and none can be derived safely: bound or
 *   native functions, a call inside a named function (a factory), or a second
 *   function with the same text and derived id in this process (a module
 *   evaluated again is not refused: its function shares the first's cache).
 */
export function cachier<F extends AnyFunction>(fn: F, options: CachierOptions<NoInfer<F>> = {}): CachedFunction<F> {
  if (typeof fn !== 'function') throw new CachierError(`cachier: expected a function to wrap, got ${typeof fn}`);
  validateOptions(options);
  const isAsync = fn.constructor.name === 'AsyncFunction';
  const backend = impliedBackend(options as CachierOptions);
  if (backend !== undefined && !backendNamed(backend)?.servesSync && !isAsync) {
    throw new InvalidOptionError(
      'backend',
      `'${backend}' serves async functions only (the driver is asynchronous); declare ${fn.name || 'the function'} async`,
    );
  }
  for (const option of ['timeout', 'hardTimeout'] as const) {
    if (options[option] !== undefined && !isAsync) {
      throw new InvalidOptionError(
        option,
        `bounds async computations only; declare ${fn.name || 'the function'} async, or remove ${option}`,
      );
    }
  }
  if (fn.constructor.name.endsWith('GeneratorFunction')) {
    throw new CachierError(`cachier: ${fn.name || 'the function'} is a generator; its results are iterators and cannot be cached`);
  }
  const derived = options.id === undefined ? deriveIdentity(fn, cachier) : undefined;
  const cache =
    cacheOfRedefined(derived?.redefines, fn, options as CachierOptions) ??
    new FunctionCache(fn, options as CachierOptions, {
      id: options.id ?? (derived?.id as string),
      sourceHash: options.sourceHash ?? derived?.sourceHash ?? sourceHashOf(fn.toString()),
      isAsync,
    });
  definitions.set(fn, cache);
  const wrapped = makeCaller(cache, NO_OVERRIDES);
  const controls: CacheControls<F> = {
    clearCache: async () => {
      await cache.clear();
    },
    clearBeingCalculated: async () => {
      await cache.clearBeingCalculated();
    },
    // Through a promise even when the core answers at once, so a failed store rejects rather than throws.
    precache: (args, value) =>
      Promise.resolve()
        .then(() => cache.precache(argumentList(args, 'precache', fn.name), value))
        .then(() => value),
    // A method, so that `forget.call(instance, ...args)` keys on the instance as a call on it would.
    forget(this: unknown, ...args) {
      try {
        return Promise.resolve(cache.forget(this === wrapped ? undefined : this, args));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    cacheInfo: () => cache.info(),
    resetMetrics: () => cache.resetMetrics(),
    deleteStale: () => cache.deleteStale(),
    withOptions: (overrides) => makeCaller(cache, checkCallOptions(overrides)) as F,
  };
  Object.defineProperties(wrapped, {
    name: { value: fn.name },
    length: { value: fn.length },
  });
  const cached = Object.assign(wrapped, controls) as CachedFunction<F>;
  caches.set(cached, cache);
  cache.receivers.callers.add(cached);
  return cached;
}

/**
 * The arguments a control was given for one call of the function, checked to
 * be an array (a call's argument list), so that `precache(5, v)` is an error
 * rather than an entry stored under the wrong key.
 * @throws {@link InvalidArgumentError} when they are not.
 */
function argumentList(args: unknown, control: string, name: string): unknown[] {
  if (Array.isArray(args)) return args;
  const label = name || 'fn';
  throw new InvalidArgumentError(
    `${label}.${control}()`,
    `the arguments must be an array, as the function would be called with them: ${control}([${JSON.stringify(args) ?? String(args)}], value) for ${label}(${JSON.stringify(args) ?? String(args)}), got ${args === null ? 'null' : typeof args}`,
  );
}

function makeCaller(cache: FunctionCache, overrides: CallSettings): AnyFunction {
  return function cachedCall(this: unknown, ...args: unknown[]): unknown {
    if (!cache.returnsPromise) return cache.call(this, args, overrides);
    try {
      const result = cache.call(this, args, overrides);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

function checkCallOptions(overrides: CallOptions): CallSettings {
  validateCallOptions(overrides);
  return resolveCallOptions(overrides);
}

/**
 * The {@link CacheControls} of a function wrapped by {@link cachier} (or
 * tagged with `@cachier`), for code that holds the function under a type that
 * does not show them.
 *
 * @throws {@link NotCachedError} when `fn` is not a cached function.
 */
export function cacheOf<F extends AnyFunction>(fn: F): CacheControls<F> {
  if (!caches.has(fn)) throw new NotCachedError(fn.name ? `function ${fn.name}` : 'the function');
  return fn as CachedFunction<F>;
}
