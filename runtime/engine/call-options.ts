import { parseDuration, type Duration } from '../duration.js';
import { defaultOf } from '../options/catalog.js';

/** Per-call overrides, given through `fn.withOptions(...)`; they never change the function's signature. */
export interface CallOptions {
  /** Call the function directly: read nothing, store nothing. */
  skipCache?: boolean;
  /** Compute even if a fresh entry exists, and store the new value. */
  overwriteCache?: boolean;
  /**
   * For this call only, treat entries older than this as stale. Without
   * `nextTime` they are recomputed now; with `nextTime` the stale value is
   * served at once and refreshed in the background, as in Python cachier.
   * Negative values are rejected: use `overwriteCache`.
   */
  maxAge?: Duration;
  /** For this call only, the shelf life instead of the function's `staleAfter` (longer or shorter). */
  staleAfter?: Duration;
  /** For this call only, serve a stale entry at once and refresh it in the background (or not). */
  nextTime?: boolean;
  /** For this call only, store an `undefined` result (or not). */
  allowUndefined?: boolean;
  /** For this call only, how long to wait for another caller computing the same key; `0` waits while it lives. */
  waitForCalcTimeout?: Duration;
  /** Print this call's decisions (hit, miss, stale, wait...) to stderr, as `NODE_DEBUG=cachier` does for every call. */
  debug?: boolean;
}

/** Per-call overrides with durations parsed, once per `withOptions()`. */
export interface CallSettings {
  readonly skipCache: boolean;
  readonly overwriteCache: boolean;
  readonly maxAgeMs: number;
  readonly staleAfterMs: number | undefined;
  readonly nextTime: boolean | undefined;
  readonly allowUndefined: boolean | undefined;
  readonly waitForCalcTimeoutMs: number | undefined;
  readonly debug: boolean;
  /** Whether the call asks the usual question, so it may join, and be joined by, a call in flight. */
  readonly shareable: boolean;
}

/** Parses per-call overrides (already validated). */
export function resolveCallOptions(overrides: CallOptions): CallSettings {
  const optional = (duration: Duration | undefined): number | undefined => (duration === undefined ? undefined : parseDuration(duration));
  return {
    skipCache: overrides.skipCache ?? defaultOf('skipCache'),
    overwriteCache: overrides.overwriteCache ?? defaultOf('overwriteCache'),
    maxAgeMs: optional(overrides.maxAge) ?? defaultOf('maxAge'),
    staleAfterMs: optional(overrides.staleAfter),
    nextTime: overrides.nextTime,
    allowUndefined: overrides.allowUndefined,
    waitForCalcTimeoutMs: optional(overrides.waitForCalcTimeout),
    debug: overrides.debug ?? defaultOf('debug'),
    shareable:
      !overrides.overwriteCache &&
      overrides.maxAge === undefined &&
      overrides.staleAfter === undefined &&
      overrides.nextTime === undefined &&
      overrides.allowUndefined === undefined,
  };
}

/** The settings of a call without overrides. */
export const NO_OVERRIDES: CallSettings = resolveCallOptions({});
