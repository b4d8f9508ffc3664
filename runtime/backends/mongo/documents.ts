import type { StoredEntry } from '../../core.js';
import { EntryTooLargeError } from '../../errors.js';
import { deserializeValue } from '../../serialization.js';

/**
 * The layout of a cache document: one per (functionId, sourceHash, key).
 *
 * ```
 * { functionId, sourceHash, key,      // identity, unique together
 *   value: BinData,                   // node:v8 serialization of the result
 *   computedAt: number,               // epoch ms of the configured clock
 *   owner?: string, leaseUntil?: Date // being-calculated mark, real time
 *   usedAt?: number, bytes?: number   // bounded caches: last use (epoch ms), size of value
 * }
 * ```
 */
export interface CacheDocument {
  readonly functionId: string;
  readonly sourceHash: string;
  readonly key: string;
  readonly value?: unknown;
  readonly computedAt?: unknown;
  readonly owner?: string | null;
  readonly leaseUntil?: unknown;
  /** Bounded caches only: when the entry was last stored or hit, epoch ms (real time). */
  readonly usedAt?: unknown;
  /** Bounded caches only: the bytes of `value`. */
  readonly bytes?: unknown;
}

/** MongoDB refuses documents over 16 MiB; the margin leaves room for the other fields. */
const MAX_VALUE_BYTES = 16 * 1024 * 1024 - 16 * 1024;

/** Throws {@link EntryTooLargeError} when `bytes` cannot fit in one MongoDB document. */
export function checkFitsInDocument(bytes: Uint8Array): void {
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new EntryTooLargeError(
      `cachier: the result is ${bytes.length} bytes serialized, too large for MongoDB's 16 MiB document limit; ` +
        `it was returned but not stored (return less data, or cache it with the file backend)`,
    );
  }
}

/** The bytes of a stored value: BSON Binary as the driver returns it, or a Buffer with `promoteBuffers`. */
export function valueBytesOf(stored: unknown): Uint8Array | undefined {
  if (stored instanceof Uint8Array) return stored;
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { buffer, position } = stored as { buffer?: unknown; position?: unknown };
  return buffer instanceof Uint8Array && typeof position === 'number' ? buffer.subarray(0, position) : undefined;
}

/**
 * The entry a document holds, `undefined` if it holds none (only a mark), or
 * `'unreadable'` when its value does not deserialize.
 */
export function entryOf(document: CacheDocument | null): StoredEntry | undefined | 'unreadable' {
  if (!document || document.value === undefined) return undefined;
  const bytes = valueBytesOf(document.value);
  if (bytes === undefined || typeof document.computedAt !== 'number') return 'unreadable';
  try {
    return { value: deserializeValue(bytes), computedAt: document.computedAt };
  } catch {
    return 'unreadable';
  }
}

/** When the mark on a document ends, in epoch milliseconds; 0 when it holds none. */
export function leaseEndOf(document: CacheDocument | null): number {
  return document?.owner != null && document.leaseUntil instanceof Date ? document.leaseUntil.getTime() : 0;
}

/**
 * The update pipeline of a claiming read: marks the document as being
 * calculated by `token` until `leaseUntil`, unless it holds an entry computed
 * at or after `freshSince` (epoch ms of the configured clock; a hit) or
 * another caller's mark still live at `now` (a wait). Nothing else changes,
 * so the document after the update tells which of the three happened. With
 * `upsert`, a missing document is created with the mark.
 */
export function claimUnlessFreshOrMarked(token: string, now: Date, leaseUntil: Date, freshSince: number): object[] {
  const marked = { $and: [{ $ne: [{ $ifNull: ['$owner', null] }, null] }, { $gt: [{ $ifNull: ['$leaseUntil', new Date(0)] }, now] }] };
  const fresh = { $and: [{ $ne: [{ $type: '$value' }, 'missing'] }, { $gte: ['$computedAt', freshSince] }] };
  const claimable = { $not: [{ $or: [marked, fresh] }] };
  // A field whose expression evaluates to a missing field stays missing, as an unmarked document's owner does.
  return [
    {
      $set: { owner: { $cond: [claimable, { $literal: token }, '$owner'] }, leaseUntil: { $cond: [claimable, leaseUntil, '$leaseUntil'] } },
    },
  ];
}
