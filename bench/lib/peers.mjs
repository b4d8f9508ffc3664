/**
 * The peers, each set up the way its documentation shows for memoizing an
 * async function. Keys are `JSON.stringify(args)`, the key function those
 * documentations suggest for object arguments (memoizee and p-memoize key by
 * identity otherwise, which would never hit for a fresh, equal object).
 * Persistent peers store values with `node:v8` (cacache takes bytes) or their
 * own default serializer (Keyv: JSON).
 */
import { deserialize, serialize } from 'node:v8';
import cacache from 'cacache';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { KeyvFile } from 'keyv-file';
import memoize from 'memoizee';
import pMemoize from 'p-memoize';

/** Why the in-memory peers sit out the persistent scenarios. */
export const IN_MEMORY_ONLY = 'in-memory only: nothing persists, nothing is shared between processes';

/**
 * The key the peers memoize on: the arguments as JSON text.
 * @param {unknown[] | IArguments} args
 * @returns {string}
 */
export function jsonKey(args) {
  return JSON.stringify(Array.from(args));
}

/**
 * memoizee for a synchronous function.
 * @template {(...args: any[]) => unknown} F
 * @param {F} fn
 * @returns {F}
 */
export function memoizeeSync(fn) {
  return memoize(fn, { normalizer: jsonKey });
}

/**
 * memoizee for an async function (`promise: true` drops rejected promises).
 * @template {(...args: any[]) => Promise<unknown>} F
 * @param {F} fn
 * @returns {F}
 */
export function memoizeeAsync(fn) {
  return memoize(fn, { promise: true, normalizer: jsonKey });
}

/**
 * p-memoize for an async function.
 * @template {(...args: any[]) => Promise<unknown>} F
 * @param {F} fn
 * @returns {F}
 */
export function pMemoized(fn) {
  return pMemoize(fn, { cacheKey: jsonKey });
}

/**
 * npm's cacache used as a persistent memo store: read the key, or compute
 * and put the value. No being-calculated mark: concurrent callers in other
 * processes all compute.
 *
 * @template {(...args: any[]) => Promise<unknown>} F
 * @param {F} fn
 * @param {string} dir - the cache folder.
 * @returns {F}
 */
export function cacacheMemo(fn, dir) {
  return /** @type {F} */ (
    async (...args) => {
      const key = jsonKey(args);
      try {
        return deserialize((await cacache.get(dir, key)).data);
      } catch (error) {
        if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
      }
      const value = await fn(...args);
      await cacache.put(dir, key, serialize(value));
      return value;
    }
  );
}

/**
 * Stores a value in a cacache memo store as {@link cacacheMemo} would.
 * @param {string} dir
 * @param {unknown[]} args
 * @param {unknown} value
 */
export function cacachePut(dir, args, value) {
  return cacache.put(dir, jsonKey(args), serialize(value));
}

/**
 * cache-manager's `wrap` over a Keyv store kept in one file by `keyv-file`,
 * all with their defaults: the whole store is loaded into memory when it
 * opens, and written back whole, debounced by 100 ms (`writeDelay`), after
 * each set; `wrap` resolves once that write is done.
 *
 * @template {(...args: any[]) => Promise<unknown>} F
 * @param {F} fn
 * @param {string} filename - the store's file.
 * @returns {{ memo: F, cache: import('cache-manager').Cache, close: () => Promise<unknown> }}
 */
export function cacheManagerFileMemo(fn, filename) {
  const cache = createCache({ stores: [new Keyv({ store: new KeyvFile({ filename }) })] });
  const memo = /** @type {F} */ ((...args) => cache.wrap(jsonKey(args), () => fn(...args)));
  return { memo, cache, close: () => cache.disconnect() };
}
