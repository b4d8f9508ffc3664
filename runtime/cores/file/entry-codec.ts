import { crc32 } from 'node:zlib';
import type { StoredEntry } from '../../core.js';
import { deserializeValue, serializeValue } from '../../serialization.js';

/*
 * An entry file:
 *
 *   offset  size  content
 *   0       8     "CACHIER1" (format and version)
 *   8       4     CRC-32 of every byte from offset 12 to the end (uint32 LE)
 *   12      8     computedAt, epoch milliseconds (float64 LE)
 *   20      2     byte length of the key (uint16 LE)
 *   22      n     the key (UTF-8), so a file copied under another name is not served for the wrong key
 *   22+n    rest  the value, serialized with node:v8
 *
 * The checksum catches truncated files and garbage bytes anywhere, so a
 * damaged file is a miss, never a wrong value.
 */

const MAGIC = Buffer.from('CACHIER1', 'latin1');
const CHECKSUMMED_FROM = 12;
const KEY_AT = 22;

/**
 * The bytes of an entry file.
 * @throws {@link CacheWriteError} when the value cannot be serialized or exceeds `sizeLimit`.
 */
export function encodeEntry(key: string, entry: StoredEntry, sizeLimit: number | undefined): Buffer {
  const value = serializeValue(entry.value, sizeLimit);
  const keyBytes = Buffer.from(key, 'utf8');
  const bytes = Buffer.allocUnsafe(KEY_AT + keyBytes.length + value.length);
  MAGIC.copy(bytes, 0);
  bytes.writeDoubleLE(entry.computedAt, 12);
  bytes.writeUInt16LE(keyBytes.length, 20);
  keyBytes.copy(bytes, KEY_AT);
  value.copy(bytes, KEY_AT + keyBytes.length);
  bytes.writeUInt32LE(crc32(bytes.subarray(CHECKSUMMED_FROM)), 8);
  return bytes;
}

/** An entry read back, or why the bytes are not one (`problem` completes "the file is ..."). */
export type DecodedEntry = { readonly ok: true; readonly entry: StoredEntry } | { readonly ok: false; readonly problem: string };

/** Reads an entry file's bytes; never throws, and runs no code whatever the bytes are. */
export function decodeEntry(bytes: Buffer, key: string): DecodedEntry {
  if (bytes.length < KEY_AT || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { ok: false, problem: 'not a cachier entry file' };
  }
  if (bytes.readUInt32LE(8) !== crc32(bytes.subarray(CHECKSUMMED_FROM))) {
    return { ok: false, problem: 'truncated or damaged (checksum mismatch)' };
  }
  const keyEnd = KEY_AT + bytes.readUInt16LE(20);
  if (keyEnd > bytes.length || bytes.toString('utf8', KEY_AT, keyEnd) !== key) {
    return { ok: false, problem: 'the entry of another key' };
  }
  try {
    return { ok: true, entry: { value: deserializeValue(bytes.subarray(keyEnd)), computedAt: bytes.readDoubleLE(12) } };
  } catch (error) {
    return { ok: false, problem: `holding a value that cannot be deserialized (${(error as Error).message})` };
  }
}

/** What an entry file says about itself without deserializing its value (for tools listing caches). */
export interface EntryHeader {
  /** When the value was computed, in epoch milliseconds. */
  readonly computedAt: number;
  /** The key the entry was stored under. */
  readonly key: string;
}

/**
 * The header of an entry file from its first bytes (at least 22 plus the
 * key's length), or `undefined` when they are not an entry's. Checks neither
 * the checksum nor the value: {@link decodeEntry} does.
 */
export function readEntryHeader(bytes: Buffer): EntryHeader | undefined {
  if (bytes.length < KEY_AT || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const keyEnd = KEY_AT + bytes.readUInt16LE(20);
  if (keyEnd > bytes.length) return undefined;
  return { computedAt: bytes.readDoubleLE(12), key: bytes.toString('utf8', KEY_AT, keyEnd) };
}
