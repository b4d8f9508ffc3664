import { nodeV8 } from '../../node-builtins.js';
import type { StoredEntry } from '../../core.js';
import type { LocalCopies } from './invalidation.js';

/** One copy: the entry, its key in the backend, when it stops being fresh, its size, when it was taken, and whether it was used since. */
interface Copy {
  readonly entry: StoredEntry;
  readonly backendKey: string;
  /** Epoch milliseconds of the configured clock after which the copy is not served. */
  readonly expiresAt: number;
  readonly bytes: number;
  readonly mark: number;
  used: boolean;
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
 * A local tier's copies of one function's entries, within a number of entries
 * and of serialized bytes. Copies are found by the call's canonical key (no
 * hash on a hit) and dropped by their key in the backend, which the other
 * processes announce. Eviction is the CLOCK approximation of least recently
 * used: a hit only marks its copy used, and the eviction scan, from the
 * oldest, gives a used copy a second chance (moves it to the end) and drops
 * the first unused one, so a hit never reorders the map. Every change made
 * after a read of the backend began makes that read's answer too old to
 * keep: see {@link LocalCopyStore.keep}.
 */
export class LocalCopyStore implements LocalCopies {
  private readonly copies = new Map<string, Copy>();
  /** The canonical key of each copy, by its key in the backend. */
  private readonly byBackendKey = new Map<string, string>();
  private bytes = 0;
  /** Counts reads begun and copies dropped, so a read knows whether a drop came after it began. */
  private clock = 0;
  private lastDrop = 0;

  constructor(private readonly settings: LocalCopySettings) {}

  /** The fresh copy of `key`, or `undefined` (an expired copy is dropped). */
  get(key: string): StoredEntry | undefined {
    const copy = this.copies.get(key);
    if (copy === undefined) return undefined;
    if (copy.expiresAt !== Infinity && this.settings.clock() >= copy.expiresAt) {
      this.remove(key, copy);
      return undefined;
    }
    copy.used = true;
    return copy.entry;
  }

  /**
   * Keeps `entry` as the copy of `key`, unless a copy was dropped since
   * `mark` was taken (just before the backend was read or written): the
   * entry may then be older than what another process has stored since.
   */
  keep(key: string, backendKey: string, entry: StoredEntry, mark: number): void {
    if (mark < this.lastDrop) return;
    const shelfLifeMs = this.settings.shelfLifeOf(entry.value);
    const expiresAt = entry.computedAt + shelfLifeMs;
    if (!(this.settings.clock() < expiresAt)) return;
    const bytes = sizeOf(entry.value);
    if (bytes > this.settings.maxBytes) return;
    const previous = this.copies.get(key);
    if (previous) this.remove(key, previous);
    this.copies.set(key, { entry, backendKey, expiresAt, bytes, mark, used: false });
    this.byBackendKey.set(backendKey, key);
    this.bytes += bytes;
    while (this.copies.size > this.settings.maxEntries || this.bytes > this.settings.maxBytes) this.evictOne();
  }

  /** Drops the oldest copy not used since it was kept or last spared, sparing (moving to the end) the used ones before it. */
  private evictOne(): void {
    for (const [oldest, copy] of this.copies) {
      this.copies.delete(oldest);
      if (!copy.used) {
        this.byBackendKey.delete(copy.backendKey);
        this.bytes -= copy.bytes;
        return;
      }
      copy.used = false;
      this.copies.set(oldest, copy);
    }
  }

  mark(): number {
    return ++this.clock;
  }

  /** Drops the copy whose key in the backend is `backendKey`, or every copy (`undefined`). */
  drop(backendKey: string | undefined): void {
    this.lastDrop = this.mark();
    if (backendKey === undefined) {
      this.copies.clear();
      this.byBackendKey.clear();
      this.bytes = 0;
      return;
    }
    const key = this.byBackendKey.get(backendKey);
    const copy = key === undefined ? undefined : this.copies.get(key);
    if (copy) this.remove(key as string, copy);
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
    this.byBackendKey.delete(copy.backendKey);
    this.bytes -= copy.bytes;
  }
}

/** The serialized size of a value, as the backends store it; a value that does not serialize is never stored, so never kept. */
function sizeOf(value: unknown): number {
  try {
    return nodeV8().serialize(value).byteLength;
  } catch {
    return Infinity;
  }
}
