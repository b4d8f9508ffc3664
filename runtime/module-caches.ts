import { cachier, type CachedFunction } from './cachier.js';
import type { AnyFunction, CachierOptions } from './options.js';

/** The cached functions one module creates while it loads, and the module's `clearCache()`. */
export interface ModuleCaches {
  /** {@link cachier}, remembering the result so {@link ModuleCaches.clearCache} reaches it. */
  cachier<F extends AnyFunction>(fn: F, options?: CachierOptions<NoInfer<F>>): CachedFunction<F>;
  /** Clears the caches of every function wrapped through this object. */
  clearCache(): Promise<void>;
}

/**
 * What the `@cachier` rewrite puts at the top of a module: the module's
 * generated `clearCache()` export clears every function tagged at its top
 * level. Code written by hand can use it the same way.
 *
 * @example
 * ```ts
 * const caches = moduleCaches();
 * export const square = caches.cachier((x: number) => x * x, { id: 'square' });
 * export const clearCache = () => caches.clearCache();
 * ```
 */
export function moduleCaches(): ModuleCaches {
  const tracked: CachedFunction<AnyFunction>[] = [];
  return {
    cachier(fn, options) {
      const cached = cachier(fn, options);
      tracked.push(cached);
      return cached;
    },
    async clearCache() {
      await Promise.all(tracked.map((cached) => cached.clearCache()));
    },
  };
}
