/**
 * What cachier publishes on `node:diagnostics_channel`: one channel per kind
 * of event, each message a plain object naming the function and the backend.
 * Nothing is built or published while a channel has no subscriber, so events
 * cost a cached call nothing until someone listens.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { cachierChannels, type CachierComputationFinished } from 'cachier';
 *
 * subscribe(cachierChannels.computationFinished, (message) => {
 *   const { id, durationMs } = message as CachierComputationFinished;
 *   console.log(`${id} computed in ${durationMs.toFixed(1)} ms`);
 * });
 * ```
 * @packageDocumentation
 */

/** The names of cachier's `diagnostics_channel` channels, one per kind of event. */
export const cachierChannels = {
  /** A call served a fresh entry: {@link CachierHit}. */
  hit: 'cachier:hit',
  /** A call found no entry and computes (or waits for whoever computes): {@link CachierMiss}. */
  miss: 'cachier:miss',
  /** A call found an entry past its shelf life: {@link CachierStaleHit}. */
  staleHit: 'cachier:stale-hit',
  /** The function was called to compute a key: {@link CachierComputationStarted}. */
  computationStarted: 'cachier:computation-started',
  /** The function returned a value (stored or not): {@link CachierComputationFinished}. */
  computationFinished: 'cachier:computation-finished',
  /** The function threw or rejected: {@link CachierComputationFailed}. */
  computationFailed: 'cachier:computation-failed',
  /** A call stopped waiting for another caller's computation of its key: {@link CachierWait}. */
  wait: 'cachier:wait',
  /** Entries were removed to keep the cache within its bounds: {@link CachierEviction}. */
  eviction: 'cachier:eviction',
  /** A backend operation failed and the call went on without the cache: {@link CachierBackendError}. */
  backendError: 'cachier:backend-error',
} as const;

/** What every message carries. */
export interface CachierEvent {
  /** The cached function's id (`cacheInfo().id`). */
  readonly id: string;
  /** The backend serving it: `memory`, `file`, `mongo`, `redis`, `postgres` or `s3`. */
  readonly backend: string;
}

/** What the messages about one call carry. */
export interface CachierCallEvent extends CachierEvent {
  /** The call's cache key, as the backend stores it (a SHA-256 digest; on memory, the canonical encoding of the arguments). */
  readonly key: string;
}

/** Published on `cachier:hit`. */
export interface CachierHit extends CachierCallEvent {
  /** How long ago the entry was computed, in milliseconds of the configured clock. */
  readonly ageMs: number;
}

/** Published on `cachier:miss`. */
export type CachierMiss = CachierCallEvent;

/** Published on `cachier:stale-hit`. */
export interface CachierStaleHit extends CachierCallEvent {
  /** How long ago the entry was computed, in milliseconds of the configured clock. */
  readonly ageMs: number;
  /**
   * What the call does with it: `recompute` (computes, or waits, and answers
   * the new value), `refresh` (answers it and refreshes in the background,
   * `nextTime`), `grace` (answers it: recomputing failed a moment ago).
   */
  readonly action: 'recompute' | 'refresh' | 'grace';
}

/** Published on `cachier:computation-started`. */
export type CachierComputationStarted = CachierCallEvent;

/** Published on `cachier:computation-finished`. */
export interface CachierComputationFinished extends CachierCallEvent {
  /** How long the function took, in milliseconds. */
  readonly durationMs: number;
}

/** Published on `cachier:computation-failed`. */
export interface CachierComputationFailed extends CachierCallEvent {
  /** How long the function ran before it failed, in milliseconds. */
  readonly durationMs: number;
  /** What it threw or rejected with. */
  readonly error: unknown;
}

/** Published on `cachier:wait`, when the wait ends. */
export interface CachierWait extends CachierCallEvent {
  /** Whether the computation waited for was in flight in this process (else another caller, process or machine held the key). */
  readonly joined: boolean;
  /**
   * How it ended: `received` (its value), `timed out` (after
   * `waitForCalcTimeout`, the call computes), `nothing fresh` (the computer
   * ended without a fresh entry, the call computes), `released`
   * (`clearBeingCalculated()` set it free, the call computes).
   */
  readonly outcome: 'received' | 'timed out' | 'nothing fresh' | 'released';
  /** How long the call waited, in milliseconds. */
  readonly durationMs: number;
}

/** Published on `cachier:eviction`. */
export interface CachierEviction extends CachierEvent {
  /** How many entries were removed. */
  readonly count: number;
}

/** Published on `cachier:backend-error`. */
export interface CachierBackendError extends CachierEvent {
  /** The call's cache key, when the failure happened during a call. */
  readonly key?: string;
  /** What the call was doing: reading the entry, marking the key, waiting, or writing the value. */
  readonly operation: 'read' | 'mark' | 'wait' | 'write';
  /** The failure (a `BackendError` for timeouts and a skipping circuit breaker, else the driver's error). */
  readonly error: unknown;
}
