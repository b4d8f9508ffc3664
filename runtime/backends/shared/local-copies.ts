import { serialize } from 'node:v8';
import type { StoredEntry } from '../../core.js';
import type { LocalCopies } from './invalidation.js';

/** One copy: the entry, when it stops being fresh, its size, and when it was taken. */
interface Copy {
  readonly entry: StoredEntry;
  /** Epoch milliseconds of the configured clock after which the copy is not served. */
  readonly expiresAt: number;
  readonly bytes: number;
  readonly mark: number;
}

/** What bounds a {@link LocalCopyStore} and tells a copy's shelf life. */
export interface LocalCopySettings {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** The shelf life of a value, in milliseconds (Infinity: always fresh). */
  readonly shelfLifeOf: (value: unknown) => number;
  /** Current time in epoch milliseconds (the clock entries are dated with). */
  readonly clock: () => number;
}

/**
 * A local tier's copies of one function's entries, least recently used first
 * (a `Map` keeps insertion order, and a hit moves its copy to the end), within
 * a number of entries and of serialized bytes. Every change made after a read
 * of the backend began makes that read's answer too old to keep: see
 * {@link LocalCopyStore.keep}.
 */
export class LocalCopyStore implements LocalCopies {
  private readonly copies = new Map<string, Copy>();
  private bytes = 0;
  /** Counts reads begun and copies dropped, so a read knows whether a drop came after it began. */
  private clock = 0;
  private lastDrop = 0;

  constructor(private readonly settings: LocalCopySettings) {}

  /** The fresh copy of `key`, or `undefined` (an expired copy is dropped). */
  get(key: string): StoredEntry | undefined {
    const copy = this.copies.get(key);
    if (copy === undefined) return undefined;
    if (this.settings.clock() >= copy.expiresAt) {
      this.remove(key, copy);
      return undefined;
    }
    this.copies.delete(key);
    this.copies.set(key, copy);
    return copy.entry;
  }

  /**
   * Keeps `entry` as the copy of `key`, unless a copy was dropped since
   * `mark` was taken (just before the backend was read or written): the
   * entry may then be older than what another process has stored since.
   */
  keep(key: string, entry: StoredEntry, mark: number): void {
    if (mark < this.lastDrop) return;
    const shelfLifeMs = this.settings.shelfLifeOf(entry.value);
    const expiresAt = entry.computedAt + shelfLifeMs;
    if (!(this.settings.clock() < expiresAt)) return;
    const bytes = sizeOf(entry.value);
    if (bytes > this.settings.maxBytes) return;
    const previous = this.copies.get(key);
    if (previous) this.remove(key, previous);
    this.copies.set(key, { entry, expiresAt, bytes, mark });
    this.bytes += bytes;
    for (const [oldest, copy] of this.copies) {
      if (this.copies.size <= this.settings.maxEntries && this.bytes <= this.settings.maxBytes) break;
      this.remove(oldest, copy);
    }
  }

  mark(): number {
    return ++this.clock;
  }

  drop(key: string | undefined): void {
    this.lastDrop = this.mark();
    if (key === undefined) {
      this.copies.clear();
      this.bytes = 0;
      return;
    }
    const copy = this.copies.get(key);
    if (copy) this.remove(key, copy);
  }

  dropOlderThan(mark: number): void {
    this.lastDrop = this.mark();
    for (const [key, copy] of this.copies) if (copy.mark < mark) this.remove(key, copy);
  }

  /** The number of copies held. */
  get size(): number {
    return this.copies.size;
  }

  private remove(key: string, copy: Copy): void {
    this.copies.delete(key);
    this.bytes -= copy.bytes;
  }
}

/** The serialized size of a value, as the backends store it; a value that does not serialize is never stored, so never kept. */
function sizeOf(value: unknown): number {
  try {
    return serialize(value).byteLength;
  } catch {
    return Infinity;
  }
}
