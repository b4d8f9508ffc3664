import { BackendSkippedError } from '../errors.js';

/** Whether a backend is in use (`up`), skipped after failing (`down`), or being tried again by one call (`probing`). */
export type BreakerState = 'up' | 'down' | 'probing';

/** What the circuit breaker of one backend connection reports, for `cacheInfo()`. */
export interface BreakerReport {
  readonly state: BreakerState;
  /** Failed operations against this connection in this process, since it was first used. */
  readonly failures: number;
}

/** The first cool-down after a failure, in milliseconds; it doubles while the backend keeps failing. */
export const FIRST_COOL_DOWN_MS = 1_000;
/** The longest cool-down, in milliseconds. */
export const LONGEST_COOL_DOWN_MS = 30_000;

/** Where a breaker reports the backend going down and coming back: a process warning each. */
export type BreakerWarn = (message: string, code: 'CACHIER_BACKEND_DOWN' | 'CACHIER_BACKEND_BACK') => void;

/**
 * The circuit breaker of one backend connection (client, pool, bucket,
 * collection getter), shared by every function of this process using it.
 * After a failure, operations are skipped at once for a cool-down (1 s,
 * doubling up to 30 s while the backend keeps failing); then one operation
 * probes the backend while the others are still skipped. A probe that
 * succeeds closes the breaker. Time is real time, never the injected clock.
 */
export class CircuitBreaker {
  private state: BreakerState = 'up';
  private failures = 0;
  private coolDownMs = FIRST_COOL_DOWN_MS;
  private downSince = 0;
  private retryAt = 0;
  private lastFailure: unknown;

  constructor(
    private readonly backend: string,
    private readonly warn: BreakerWarn,
  ) {}

  /**
   * Answers whether an operation may go to the backend now; throws
   * {@link BackendSkippedError} when it is skipped. An operation let through
   * while the breaker is down is the probe.
   */
  admit(): void {
    if (this.state === 'up') return;
    if (this.state === 'down' && Date.now() >= this.retryAt) {
      this.state = 'probing';
      return;
    }
    const left = Math.max(0, this.retryAt - Date.now());
    const failure = this.lastFailure as Error | undefined;
    throw new BackendSkippedError(
      `cachier: the ${this.backend} backend is skipped ${this.state === 'probing' ? 'while one call tries it again' : `for ${left}ms more`} ` +
        `(circuit breaker, after ${this.failures === 1 ? 'a failure' : `${this.failures} failures`}), so the call goes on without the cache; ` +
        `last failure: ${(failure?.message ?? String(failure)).replace(/^cachier: /, '')}`,
      // What the engine's warnings group the first failure by (its cause, else its message): one outage, one warning.
      {
        cause: failure?.cause instanceof Error ? failure.cause : new Error((failure?.message ?? String(failure)).replace(/^cachier: /, '')),
      },
    );
  }

  /** An admitted operation answered. */
  succeeded(): void {
    if (this.state === 'up') return;
    this.state = 'up';
    this.coolDownMs = FIRST_COOL_DOWN_MS;
    this.warn(
      `the ${this.backend} backend answers again after ${Date.now() - this.downSince}ms down; caching resumes`,
      'CACHIER_BACKEND_BACK',
    );
  }

  /** An admitted operation ended without telling whether the backend works (a value refused before it was sent): the next operation probes. */
  inconclusive(): void {
    if (this.state !== 'probing') return;
    this.state = 'down';
    this.retryAt = Date.now();
  }

  /** An admitted operation failed (an error of the backend, or no answer within the deadline). */
  failed(error: unknown): void {
    this.failures++;
    this.lastFailure = error;
    if (this.state === 'up') {
      this.downSince = Date.now();
      this.coolDownMs = FIRST_COOL_DOWN_MS;
      this.warn(
        `the ${this.backend} backend failed (${(error as Error)?.message ?? String(error)}); ` +
          `calls skip it and compute, trying it again after ${this.coolDownMs}ms, then less often while it keeps failing`,
        'CACHIER_BACKEND_DOWN',
      );
    } else if (this.state === 'probing') {
      this.coolDownMs = Math.min(this.coolDownMs * 2, LONGEST_COOL_DOWN_MS);
    } else {
      // A failure of an operation admitted before the breaker opened: the cool-down already runs.
      return;
    }
    this.state = 'down';
    this.retryAt = Date.now() + this.coolDownMs;
  }

  report(): BreakerReport {
    return { state: this.state, failures: this.failures };
  }
}
