import type { AnyFunction } from '../options.js';

/**
 * Whether the `this` of a call is part of its cache key: it is when the
 * function was called as a method of an instance (`shop.price()`), so that
 * two instances never share entries. It is not for a call without an
 * object (`price()`), on the global object, on a function (a static method:
 * `this` is the class), or on a namespace holding the function itself: a
 * module namespace, a CommonJS `exports` object or an object literal of
 * functions (`api.price()`). Those calls keep the keys they had before
 * methods were keyed.
 *
 * @param callers - the wrapped functions of the cache, as a holder holds them.
 */
export function keysReceiver(thisArg: unknown, callers: WeakSet<AnyFunction>): boolean {
  if (thisArg === undefined || thisArg === null || thisArg === globalThis || typeof thisArg === 'function') return false;
  if (typeof thisArg !== 'object') return true;
  return !isNamespace(thisArg, callers);
}

/**
 * Whether `object` is a module namespace (real, or a bundler's, which
 * carries the same `Symbol.toStringTag`), or a plain object that holds one
 * of `callers` as an own property. A class instance never is: a cached
 * function in a class field is still a method of each instance.
 */
function isNamespace(object: object, callers: WeakSet<AnyFunction>): boolean {
  if (Object.prototype.toString.call(object) === '[object Module]') return true;
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const name of Object.getOwnPropertyNames(object)) {
    let value: unknown;
    try {
      // Read through getters too: a bundler's namespace object exports through them.
      value = (object as Record<string, unknown>)[name];
    } catch {
      continue;
    }
    if (typeof value === 'function' && callers.has(value as AnyFunction)) return true;
  }
  return false;
}
