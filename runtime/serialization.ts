import { nodeV8 } from './node-builtins.js';
import { CacheWriteError, EntryTooLargeError } from './errors.js';

/**
 * Serializes a value with Node's structured clone (`node:v8`): Dates, Maps,
 * Sets, typed arrays, BigInt, errors and cycles round-trip; class instances
 * come back as plain objects; functions and symbols cannot be stored.
 * Deserializing runs no user code, so a tampered cache cannot execute anything.
 *
 * With `reserved`, the serialization starts that many bytes (zeros) into the
 * buffer, for a caller's header: what `v8.serialize` does, without copying
 * the value behind the header afterwards (50 ms of a 50 MB store).
 *
 * @throws {@link CacheWriteError} when the value cannot be cloned or would not
 *   come back as it went in ({@link checkRestorable}), or is larger than
 *   `sizeLimit` bytes.
 */
export function serializeValue(value: unknown, sizeLimit: number | undefined, reserved = 0): Buffer {
  let bytes: Buffer;
  lastSerializedBytes = 0;
  checkRestorable(value);
  try {
    const serializer = new (nodeV8().DefaultSerializer)();
    if (reserved > 0) serializer.writeRawBytes(Buffer.alloc(reserved));
    serializer.writeHeader();
    serializer.writeValue(value);
    bytes = serializer.releaseBuffer();
  } catch (error) {
    throw new CacheWriteError(
      `cachier: the result cannot be stored (${(error as Error).message}); ` +
        `return data (objects, arrays, Maps, Dates...) rather than functions or symbols`,
      { cause: error },
    );
  }
  if (sizeLimit !== undefined && bytes.length - reserved > sizeLimit) {
    throw new EntryTooLargeError(
      `cachier: the result is ${bytes.length - reserved} bytes, over the entrySizeLimit of ${sizeLimit} bytes; ` +
        `it was returned but not stored (raise entrySizeLimit to cache it)`,
    );
  }
  lastSerializedBytes = bytes.length;
  return bytes;
}

let lastSerializedBytes = 0;

/**
 * The size of the value serialized last in this thread, then 0: a core's
 * `store` serializes before its first `await`, so a caller that takes this
 * right after calling `store` learns how many bytes the store sends (the
 * backend deadline grows with them) without serializing twice.
 */
export function takeSerializedBytes(): number {
  const bytes = lastSerializedBytes;
  lastSerializedBytes = 0;
  return bytes;
}

/** Reverses {@link serializeValue}; throws on bytes that are not a v8 serialization. */
export function deserializeValue(bytes: Uint8Array): unknown {
  return nodeV8().deserialize(bytes);
}

/**
 * Prototypes the structured clone restores: what it stores comes back with the
 * same prototype. Anything else (a class instance) would come back as a plain
 * object without its methods.
 */
const RESTORED_PROTOTYPES: ReadonlySet<object | null> = new Set<object | null>([
  null,
  Object.prototype,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Buffer.prototype,
  ...[
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((type) => type.prototype),
  ...[Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map((type) => type.prototype),
  Number.prototype,
  String.prototype,
  Boolean.prototype,
  BigInt.prototype,
]);

/**
 * Throws when `value` holds an object the structured clone would not give
 * back as it went in: a class instance comes back as a plain object, its
 * methods gone, which a hit would then serve as if it were the class. So such
 * a value is not stored (every backend alike, the memory backend included,
 * so a test on `memory` predicts `file`), and the warning names where it is.
 * One walk, in the order the serializer takes; shared and cyclic objects are
 * looked at once.
 *
 * @throws {@link CacheWriteError} naming the path and the class, and the fix.
 */
export function checkRestorable(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const seen = new Set<object>();
  const pending: Array<{ readonly value: object; readonly path: string }> = [{ value, path: 'value' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: object, path } = next;
    if (seen.has(object)) continue;
    seen.add(object);
    const prototype: object | null = Object.getPrototypeOf(object);
    if (!RESTORED_PROTOTYPES.has(prototype)) throw notRestorable(path, object);
    const visit = (child: unknown, childPath: string): void => {
      if (typeof child === 'object' && child !== null) pending.push({ value: child, path: childPath });
    };
    if (object instanceof Map) {
      for (const [key, entry] of object) {
        visit(key, `${path}.keys()`);
        visit(entry, `${path}.get(${typeof key === 'string' ? JSON.stringify(key) : '…'})`);
      }
    } else if (object instanceof Set) {
      for (const member of object) visit(member, `${path}.values()`);
    } else if (Array.isArray(object)) {
      for (let index = 0; index < object.length; index++) visit(object[index], `${path}[${index}]`);
    } else if (prototype === Object.prototype || prototype === null) {
      for (const key of Object.keys(object))
        visit(
          (object as Record<string, unknown>)[key],
          `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`,
        );
    }
  }
}

function notRestorable(path: string, object: object): CacheWriteError {
  const name = (object as { constructor?: { name?: string } }).constructor?.name || 'an object with a custom prototype';
  return new CacheWriteError(
    `cachier: the result was returned but not stored: ${path} is an instance of ${name}, which the cache would give back ` +
      `as a plain object without its methods. Return plain data (objects, arrays, Maps, Dates...), e.g. { ...${path.split(/[.[]/)[0]} } ` +
      `or a toJSON() of it, and rebuild the ${name} where you call the function`,
  );
}
