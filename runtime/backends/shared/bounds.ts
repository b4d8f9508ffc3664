import type { Bounds } from '../../core.js';

/**
 * How bounded caches choose what to evict: least recently used first. The
 * memory and redis cores keep an exact recency order and evict one entry per
 * entry over a bound; the others (file, postgres, mongo, s3) cannot afford to
 * look at the whole cache on every store, so each process keeps a tally of
 * what it stored since it last looked ({@link BoundsTally}), looks only when
 * the tally says the cache may be over a bound, and then evicts a batch, down
 * to {@link EVICT_DOWN_TO} of each bound, so that the next look comes only
 * after a tenth of a bound's worth of stores: one look per store amortised
 * over those stores.
 */

/**
 * On backends where refreshing an entry's recency costs a write (file:
 * its mtime; postgres, mongo: a `used_at` field; s3: a copy of the object
 * onto itself), a hit refreshes it only when it is older than this: a hot
 * key costs at most one write a second, and recency is exact to a second.
 */
export const RECENCY_RESOLUTION_MS = 1_000;

/** The share of each bound a batch eviction leaves (see the module comment). */
export const EVICT_DOWN_TO = 0.9;

/** An entry as eviction sees it. */
export interface EvictionCandidate {
  /** Where the backend finds it (a key, a path, an object name). */
  readonly name: string;
  /** When it was last stored or hit, in epoch milliseconds (real time). */
  readonly usedAt: number;
  /** Its size as the bound counts it. */
  readonly bytes: number;
  /** Never evicted: the entry just stored, or one under a live mark (in flight). */
  readonly keep: boolean;
}

/**
 * The candidates to evict, least recently used first, so that what remains
 * holds at most `share` of each bound (rounded down); entries to keep are
 * counted but never chosen.
 */
export function victimsOf(candidates: readonly EvictionCandidate[], bounds: Bounds, share = 1): EvictionCandidate[] {
  const maxEntries = Math.floor((bounds.maxEntries ?? Infinity) * share);
  const maxBytes = Math.floor((bounds.maxBytes ?? Infinity) * share);
  let entries = candidates.length;
  let bytes = bytesOf(candidates);
  const victims: EvictionCandidate[] = [];
  if (entries <= maxEntries && bytes <= maxBytes) return victims;
  const byAge = candidates.filter((candidate) => !candidate.keep).sort((a, b) => a.usedAt - b.usedAt);
  for (const candidate of byAge) {
    if (entries <= maxEntries && bytes <= maxBytes) break;
    victims.push(candidate);
    entries--;
    bytes -= candidate.bytes;
  }
  return victims;
}

/** Whether `entries` and `bytes` exceed a bound of `bounds`. */
export function isOver(bounds: Bounds, entries: number, bytes: number): boolean {
  return entries > (bounds.maxEntries ?? Infinity) || bytes > (bounds.maxBytes ?? Infinity);
}

/** The sum of the candidates' bytes. */
export function bytesOf(candidates: readonly EvictionCandidate[]): number {
  return candidates.reduce((total, candidate) => total + candidate.bytes, 0);
}

/**
 * One process's estimate of how much a shared cache holds, between looks:
 * unknown at first (so the first store looks), then what the last look left
 * plus every store since (an overwrite counts as a new entry, which only
 * brings the next look forward). Stores by other processes are not seen
 * until the next look, so with P processes storing, the cache may exceed a
 * bound by up to P - 1 tenths of it between looks.
 */
export class BoundsTally {
  private entries: number | undefined;
  private bytes = 0;
  // Stores made since the current look started, which its listing may have missed.
  private entriesDuringLook = 0;
  private bytesDuringLook = 0;

  constructor(readonly bounds: Bounds) {}

  /** Counts a store of `bytes`; answers whether the cache may now be over a bound, so a look is due. */
  stored(bytes: number): boolean {
    this.entriesDuringLook++;
    this.bytesDuringLook += bytes;
    if (this.entries === undefined) return true;
    this.entries++;
    this.bytes += bytes;
    return isOver(this.bounds, this.entries, this.bytes);
  }

  /** A look starts listing the cache. */
  lookStarting(): void {
    this.entriesDuringLook = 0;
    this.bytesDuringLook = 0;
  }

  /** What a look left after evicting, plus the stores made while it ran (counted twice if it saw them: the next look only comes sooner). */
  looked(entries: number, bytes: number): void {
    this.entries = entries + this.entriesDuringLook;
    this.bytes = bytes + this.bytesDuringLook;
  }

  /** Forgets the estimate (the cache was cleared), so the next store looks. */
  forget(): void {
    this.entries = undefined;
    this.bytes = 0;
  }
}
