/**
 * The freshness decision: what a call does with the entry it found, from the
 * entry's age and the call's policy alone. Pure, so a table of cases tests it.
 */

/**
 * An entry stamped this far in the future is still fresh: clocks of machines
 * sharing a cache differ by a little. Beyond it, the clock that stamped it was
 * wrong (or has been set back), and the entry is stale.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5_000;

/**
 * What to do with an entry:
 * - `fresh`: serve it;
 * - `refresh`: serve it, stale, and refresh it in the background (`nextTime`);
 * - `grace`: serve it, stale, without computing: a recomputation of its key
 *   failed a moment ago and the entry is still within `grace`;
 * - `recompute`: compute now and serve the new value.
 */
export type Freshness = 'fresh' | 'refresh' | 'grace' | 'recompute';

/** What decides an entry's freshness for one call, all durations in milliseconds. */
export interface FreshnessPolicy {
  /** The entry's shelf life: the call's `staleAfter`, else the function's (possibly read from the value). */
  readonly shelfLifeMs: number;
  /** The call's `maxAge`; `Infinity` when it sets none. */
  readonly maxAgeMs: number;
  /** Serve a stale entry at once and refresh it in the background. */
  readonly nextTime: boolean;
  /** How long past its shelf life a stale entry may still be served when recomputing it fails; 0 for never. */
  readonly graceMs: number;
  /** Whether a recomputation of this key failed within `graceBackoff`, so it is not retried yet. */
  readonly backingOff: boolean;
}

/** Decides what a call does with an entry of age `ageMs` (negative when stamped in the future). */
export function decideFreshness(ageMs: number, policy: FreshnessPolicy): Freshness {
  return isFresh(ageMs, policy.shelfLifeMs, policy.maxAgeMs) ? 'fresh' : decideStale(ageMs, policy);
}

/** What a call does with an entry that is not fresh for it: {@link decideFreshness} past its first question. */
export function decideStale(ageMs: number, policy: FreshnessPolicy): Exclude<Freshness, 'fresh'> {
  if (policy.nextTime) return 'refresh';
  if (policy.backingOff && isWithinGrace(ageMs, policy.shelfLifeMs, policy.graceMs)) return 'grace';
  return 'recompute';
}

/** Whether an entry of age `ageMs` is younger than its shelf life and the call's `maxAge`, and not stamped far in the future. */
export function isFresh(ageMs: number, shelfLifeMs: number, maxAgeMs: number): boolean {
  return ageMs >= -CLOCK_SKEW_TOLERANCE_MS && ageMs <= maxAgeMs && ageMs <= shelfLifeMs;
}

/** Whether a stale entry of age `ageMs` may still be served when recomputing it fails. */
export function isWithinGrace(ageMs: number, shelfLifeMs: number, graceMs: number): boolean {
  return graceMs > 0 && ageMs <= shelfLifeMs + graceMs;
}
