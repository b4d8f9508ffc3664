import type { StoredEntry } from '../../core.js';
import { deserializeValue } from '../../serialization.js';

/** The bytes before the value: `computedAt`. */
export const ENTRY_HEADER_BYTES = 8;

/** The `computedAt` of an entry's first {@link ENTRY_HEADER_BYTES} bytes, `null` when there are fewer. */
export function computedAtOfHeader(head: Buffer): number | null {
  return head.length < ENTRY_HEADER_BYTES ? null : head.readDoubleBE(0);
}

/**
 * An entry is one Redis string: the 8-byte big-endian float `computedAt`
 * followed by the `node:v8` serialization of the value, so a hit is one GET.
 */
export function encodeEntry(computedAt: number, value: Buffer): Buffer {
  const header = Buffer.allocUnsafe(ENTRY_HEADER_BYTES);
  header.writeDoubleBE(computedAt);
  return Buffer.concat([header, value]);
}

/** The entry a stored string holds, `undefined` for none, `'unreadable'` for bytes that do not decode. */
export function decodeEntry(stored: unknown): StoredEntry | undefined | 'unreadable' {
  if (stored === null || stored === undefined) return undefined;
  if (!Buffer.isBuffer(stored) || stored.length <= ENTRY_HEADER_BYTES) return 'unreadable';
  try {
    return { computedAt: stored.readDoubleBE(0), value: deserializeValue(stored.subarray(ENTRY_HEADER_BYTES)) };
  } catch {
    return 'unreadable';
  }
}

/** Escapes the glob characters of SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
