import { UnkeyableThisError } from '../errors.js';
import { canonicalArguments, canonicalMethodCall } from '../keys.js';
import type { AnyFunction } from '../options.js';

/**
 * What the `this` of a call adds to its cache key, for one cached function.
 * A call made as a method of an instance (`shop.price()`) keys on the
 * instance too, so two instances never share entries. A call without an
 * object (`price()`), on the global object, on a function (a static method:
 * `this` is the class), or on a namespace holding the function itself (a
 * module namespace, a CommonJS `exports` object, an object literal of
 * functions: `api.price()`) keys on its arguments alone, as before methods
 * were keyed.
 */
export class Receivers {
  /** The wrapped functions of the cache, as a namespace holds them. */
  readonly callers = new WeakSet<AnyFunction>();
  /** Objects found to hold one of {@link callers}: found once, since a namespace is called through again and again. */
  private readonly namespaces = new WeakSet<object>();

  /**
   * The canonical encoding of a call's key.
   * @param method - the function's name, for the error.
   * @throws `UnkeyableThisError` when `thisArg` is an instance that cannot be keyed.
   */
  canonicalCall(thisArg: unknown, args: readonly unknown[], method: string): string {
    const withoutInstance = thisArg === undefined || thisArg === null || thisArg === globalThis || typeof thisArg === 'function';
    if (withoutInstance || this.namespaces.has(thisArg as object)) return canonicalArguments(args);
    try {
      return canonicalMethodCall(thisArg, args, method);
    } catch (error) {
      // A namespace holds a function, so it never encodes: it is looked for only then, keeping keyable calls free of the search.
      if (!(error instanceof UnkeyableThisError) || !this.isNamespace(thisArg as object)) throw error;
      this.namespaces.add(thisArg as object);
      return canonicalArguments(args);
    }
  }

  /**
   * Whether `object` is a module namespace (real, or a bundler's, which
   * carries the same `Symbol.toStringTag`), or a plain object that holds one
   * of {@link callers} as an own property. A class instance never is: a cached
   * function in a class field is still a method of each instance.
   */
  private isNamespace(object: object): boolean {
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
      if (typeof value === 'function' && this.callers.has(value as AnyFunction)) return true;
    }
    return false;
  }
}
