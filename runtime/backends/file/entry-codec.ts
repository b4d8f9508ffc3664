import { nodeCrypto, nodeZlib } from '../../node-builtins.js';
import type { StoredEntry } from '../../core.js';
import { CacheWriteError } from '../../errors.js';
import { deserializeValue, serializeValue } from '../../serialization.js';

/*
 * An entry file:
 *
 *   offset  size  content
 *   0       8     format: "CACHIER1" (private cache) or "CACHIERH" (shared cache)
 *   8       c     check: CRC-32 (c = 4, uint32 LE) or HMAC-SHA256 (c = 32) of the format and every byte after the check
 *   8+c     8     computedAt, epoch milliseconds (float64 LE)
 *   16+c    2     byte length of the key (uint16 LE)
 *   18+c    n     the key (UTF-8), so a file copied under another name is not served for the wrong key
 *   18+c+n  rest  the value, serialized with node:v8
 *
 * The CRC catches truncated files and garbage bytes anywhere, so a damaged
 * file is a miss, never a wrong value. It does not stop a forger, which is
 * why a private cache lives in folders only its user can write; a shared
 * cache, writable by others, authenticates every entry with an HMAC instead.
 */

interface Format {
  readonly magic: Buffer;
  readonly checkLength: number;
}

const PRIVATE: Format = { magic: Buffer.from('CACHIER1', 'latin1'), checkLength: 4 };
const SHARED: Format = { magic: Buffer.from('CACHIERH', 'latin1'), checkLength: 32 };
const MAGIC_LENGTH = 8;
const FIXED_FIELDS = 8 + 2;

/**
 * The largest serialized value the file backend stores, and so the largest
 * it reads back, when the function has no `entrySizeLimit`: 256 MiB.
 */
export const DEFAULT_ENTRY_SIZE_LIMIT = 256 * 1024 ** 2;

/**
 * Arrays may be as long as their entry file has bytes, or this many elements
 * if that is more. A longer array is mostly holes (`new Array(1e9)` takes a
 * few bytes to serialize), which a forger can declare for free and which
 * makes the caller's first `map` allocate gigabytes, so the writer refuses
 * to store one and the reader refuses to serve one.
 */
export const MIN_ARRAY_LENGTH_BOUND = 65_536;

/** The key that authenticates the entries of a shared cache; absent for a private cache. */
export type SealKey = Buffer | undefined;

function formatFor(sealKey: SealKey): Format {
  return sealKey ? SHARED : PRIVATE;
}

/**
 * The check of an entry computed piece by piece: its CRC-32, or its HMAC
 * under a shared cache's key. A large entry is checked a piece per turn of
 * the event loop, so checking 50 MB does not hold the loop for 10 ms at once.
 */
export interface EntryCheck {
  /** Adds the next bytes of what the check covers (see {@link checkedBytes}). */
  update(piece: Uint8Array): void;
  /** The check of every byte added. */
  digest(): Buffer;
}

/** A new {@link EntryCheck} for a private cache (CRC-32) or a shared one (HMAC under `sealKey`). */
export function startCheck(sealKey: SealKey): EntryCheck {
  if (sealKey) {
    const hmac = nodeCrypto().createHmac('sha256', sealKey).update(SHARED.magic);
    return { update: (piece) => void hmac.update(piece), digest: () => hmac.digest() };
  }
  let crc = 0;
  return {
    update(piece) {
      crc = nodeZlib().crc32(piece, crc);
    },
    digest() {
      const check = Buffer.allocUnsafe(4);
      check.writeUInt32LE(crc);
      return check;
    },
  };
}

/** The bytes of an entry file a check is computed over: all after the check (an HMAC covers the format too, added by {@link startCheck}). */
export function checkedBytes(bytes: Buffer, sealKey: SealKey): Buffer {
  return bytes.subarray(MAGIC_LENGTH + formatFor(sealKey).checkLength);
}

/** The check of an entry, computed in one go. */
function checkOf(sealKey: SealKey, checked: Uint8Array): Buffer {
  const check = startCheck(sealKey);
  check.update(checked);
  return check.digest();
}

/** Whether the check stored in `bytes` is `check`, or, without one, the check of what follows it. */
function checkMatches(sealKey: SealKey, bytes: Buffer, checkedAt: number, check: Buffer | undefined): boolean {
  const stored = bytes.subarray(MAGIC_LENGTH, checkedAt);
  // A CRC is no secret: compared as a number, without allocating.
  if (!sealKey) return check ? check.equals(stored) : bytes.readUInt32LE(MAGIC_LENGTH) === nodeZlib().crc32(bytes.subarray(checkedAt));
  return nodeCrypto().timingSafeEqual(check ?? checkOf(sealKey, bytes.subarray(checkedAt)), stored);
}

/** The size of the largest entry file a writer with this limit can produce for `key`. */
export function largestEntryFile(sizeLimit: number, key: string, sealKey: SealKey): number {
  return MAGIC_LENGTH + formatFor(sealKey).checkLength + FIXED_FIELDS + Buffer.byteLength(key, 'utf8') + sizeLimit;
}

/** The length of the longest array anywhere in `value` that exceeds `bound`, if there is one. */
function overlongArray(value: unknown, bound: number): number | undefined {
  const pending: object[] = [];
  const seen = new Set<object>();
  const visit = (item: unknown): void => {
    if (typeof item === 'object' && item !== null && !seen.has(item)) {
      seen.add(item);
      pending.push(item);
    }
  };
  visit(value);
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (Array.isArray(item)) {
      if (item.length > bound) return item.length;
      for (const element of item as unknown[]) visit(element);
    } else if (item instanceof Map) {
      for (const [key, element] of item) {
        visit(key);
        visit(element);
      }
    } else if (item instanceof Set) {
      for (const element of item) visit(element);
    } else if (!ArrayBuffer.isView(item) && !(item instanceof ArrayBuffer)) {
      if (item instanceof Error) visit(item.cause);
      for (const key in item) visit((item as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}

function arrayLengthBound(fileBytes: number): number {
  return Math.max(fileBytes, MIN_ARRAY_LENGTH_BOUND);
}

/**
 * The bytes of an entry file, sealed with `sealKey` when given (shared cache).
 * @throws {@link CacheWriteError} when the value cannot be serialized, exceeds
 *   `sizeLimit`, or holds an array longer than {@link MIN_ARRAY_LENGTH_BOUND} and than its file.
 */
export function encodeEntry(key: string, entry: StoredEntry, sizeLimit: number | undefined, sealKey?: SealKey): Buffer {
  return sealEntry(encodeUnsealedEntry(key, entry, sizeLimit, sealKey), sealKey);
}

/**
 * Writes the check into the bytes of {@link encodeUnsealedEntry} and answers
 * them: `check` when computed already (piece by piece), else computed now.
 */
export function sealEntry(bytes: Buffer, sealKey: SealKey, check = checkOf(sealKey, checkedBytes(bytes, sealKey))): Buffer {
  check.copy(bytes, MAGIC_LENGTH);
  return bytes;
}

/**
 * The bytes of an entry file without their check yet (see {@link sealEntry}).
 * @throws as {@link encodeEntry}.
 */
export function encodeUnsealedEntry(key: string, entry: StoredEntry, sizeLimit: number | undefined, sealKey?: SealKey): Buffer {
  const format = formatFor(sealKey);
  const keyBytes = Buffer.from(key, 'utf8');
  const checkedAt = MAGIC_LENGTH + format.checkLength;
  const keyAt = checkedAt + FIXED_FIELDS;
  // The value is serialized behind room for the header, so it is never copied.
  const bytes = serializeValue(entry.value, sizeLimit, keyAt + keyBytes.length);
  const overlong = overlongArray(entry.value, arrayLengthBound(bytes.length));
  if (overlong !== undefined) {
    throw new CacheWriteError(
      `cachier: the result holds an array of length ${overlong} that serializes to ${bytes.length - keyAt - keyBytes.length} bytes: mostly holes, ` +
        `which the file backend does not store since it cannot tell it from a forged entry; return a dense array or a Map`,
    );
  }
  format.magic.copy(bytes, 0);
  bytes.writeDoubleLE(entry.computedAt, checkedAt);
  bytes.writeUInt16LE(keyBytes.length, checkedAt + 8);
  keyBytes.copy(bytes, keyAt);
  return bytes;
}

/** An entry read back, or why the bytes are not one (`problem` completes "the file is ..."). */
export type DecodedEntry = { readonly ok: true; readonly entry: StoredEntry } | { readonly ok: false; readonly problem: string };

const miss = (problem: string): DecodedEntry => ({ ok: false, problem });

/**
 * Reads an entry file's bytes, checking them against `sealKey` when given
 * (shared cache); `check` is their check when computed already (piece by
 * piece, see {@link startCheck}). Never throws, runs no code whatever the
 * bytes are, and serves only what a writer could have stored.
 */
export function decodeEntry(bytes: Buffer, key: string, sealKey?: SealKey, check?: Buffer): DecodedEntry {
  const format = formatFor(sealKey);
  const checkedAt = MAGIC_LENGTH + format.checkLength;
  const keyAt = checkedAt + FIXED_FIELDS;
  // Compared in place: a hit allocates no view for it.
  if (bytes.length < keyAt || format.magic.compare(bytes, 0, MAGIC_LENGTH) !== 0) {
    const magic = bytes.subarray(0, MAGIC_LENGTH);
    if (magic.equals(PRIVATE.magic))
      return miss('an unsigned entry, which a shared cache does not serve (written without CACHIER_SHARED_KEY)');
    if (magic.equals(SHARED.magic)) return miss('an entry of a shared cache, which a private cache does not serve');
    return miss('not a cachier entry file');
  }
  if (!checkMatches(sealKey, bytes, checkedAt, check)) {
    return miss(sealKey ? 'not signed with this CACHIER_SHARED_KEY, or damaged' : 'truncated or damaged (checksum mismatch)');
  }
  const keyEnd = keyAt + bytes.readUInt16LE(checkedAt + 8);
  if (keyEnd > bytes.length || bytes.toString('utf8', keyAt, keyEnd) !== key) {
    return miss('the entry of another key');
  }
  let value: unknown;
  try {
    value = deserializeValue(bytes.subarray(keyEnd));
  } catch (error) {
    return miss(`holding a value that cannot be deserialized (${(error as Error).message})`);
  }
  const overlong = overlongArray(value, arrayLengthBound(bytes.length));
  if (overlong !== undefined)
    return miss(`holding an array of length ${overlong} in ${bytes.length} bytes, which no writer stores (a forged entry)`);
  return { ok: true, entry: { value, computedAt: bytes.readDoubleLE(checkedAt) } };
}

/**
 * Reads an entry file whatever its key (a cleanup walking the folder), checked
 * like {@link decodeEntry}; `undefined` when the bytes are not a readable entry.
 */
export function decodeEntryFile(bytes: Buffer, sealKey?: SealKey): StoredEntry | undefined {
  const checkedAt = MAGIC_LENGTH + formatFor(sealKey).checkLength;
  const keyAt = checkedAt + FIXED_FIELDS;
  if (bytes.length < keyAt) return undefined;
  const decoded = decodeEntry(bytes, bytes.toString('utf8', keyAt, keyAt + bytes.readUInt16LE(checkedAt + 8)), sealKey);
  return decoded.ok ? decoded.entry : undefined;
}

/** Whether entry bytes are in a shared cache's signed format (checked with `CACHIER_SHARED_KEY`). */
export function isSignedEntry(bytes: Buffer): boolean {
  return bytes.subarray(0, MAGIC_LENGTH).equals(SHARED.magic);
}

/** What an entry file says about itself without deserializing its value (for tools listing caches). */
export interface EntryHeader {
  /** When the value was computed, in epoch milliseconds. */
  readonly computedAt: number;
  /** The key the entry was stored under. */
  readonly key: string;
}

/**
 * The header of an entry file (private or shared) from its first bytes (the
 * magic, the check, 10 bytes of fields and the key), or `undefined` when they
 * are not an entry's. Checks neither the checksum nor the value: {@link decodeEntry} does.
 */
export function readEntryHeader(bytes: Buffer): EntryHeader | undefined {
  const magic = bytes.subarray(0, MAGIC_LENGTH);
  const format = [PRIVATE, SHARED].find((candidate) => candidate.magic.equals(magic));
  if (!format) return undefined;
  const checkedAt = MAGIC_LENGTH + format.checkLength;
  const keyAt = checkedAt + FIXED_FIELDS;
  if (bytes.length < keyAt) return undefined;
  const keyEnd = keyAt + bytes.readUInt16LE(checkedAt + 8);
  if (keyEnd > bytes.length) return undefined;
  return { computedAt: bytes.readDoubleLE(checkedAt), key: bytes.toString('utf8', keyAt, keyEnd) };
}
