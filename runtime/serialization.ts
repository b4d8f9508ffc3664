import { deserialize, serialize } from 'node:v8';
import { CacheWriteError, EntryTooLargeError } from './errors.js';

/**
 * Serializes a value with Node's structured clone (`node:v8`): Dates, Maps,
 * Sets, typed arrays, BigInt, errors and cycles round-trip; class instances
 * come back as plain objects; functions and symbols cannot be stored.
 * Deserializing runs no user code, so a tampered cache cannot execute anything.
 *
 * @throws {@link CacheWriteError} when the value cannot be cloned or is larger
 *   than `sizeLimit` bytes.
 */
export function serializeValue(value: unknown, sizeLimit: number | undefined): Buffer {
  let bytes: Buffer;
  try {
    bytes = serialize(value);
  } catch (error) {
    throw new CacheWriteError(
      `cachier: the result cannot be stored (${(error as Error).message}); ` +
        `return data (objects, arrays, Maps, Dates...) rather than functions or symbols`,
      { cause: error },
    );
  }
  if (sizeLimit !== undefined && bytes.length > sizeLimit) {
    throw new EntryTooLargeError(
      `cachier: the result is ${bytes.length} bytes, over the entrySizeLimit of ${sizeLimit} bytes; ` +
        `it was returned but not stored (raise entrySizeLimit to cache it)`,
    );
  }
  return bytes;
}

/** Reverses {@link serializeValue}; throws on bytes that are not a v8 serialization. */
export function deserializeValue(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}
