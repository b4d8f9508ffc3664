import type { CallContext } from './context.js';

/** A computation in flight in this process: its promise and the call that started it. */
export interface InFlightCall {
  readonly promise: Promise<unknown>;
  readonly context: CallContext;
}

/** Why a caller stopped waiting for a call in flight without its value. */
export type GiveUp = 'timed out' | 'released';

/**
 * The computations in flight in this process, by key, so concurrent callers
 * of a key share one; and the callers waiting for them, which
 * `clearBeingCalculated()` sets free.
 */
export class InFlight {
  private readonly calls = new Map<string, InFlightCall>();
  private readonly waiters = new Set<() => void>();

  get size(): number {
    return this.calls.size;
  }

  get(key: string): InFlightCall | undefined {
    return this.calls.get(key);
  }

  /** Lists `call` under `key` until its promise settles. */
  track(key: string, call: InFlightCall): void {
    this.calls.set(key, call);
    const forget = (): void => {
      if (this.calls.get(key) === call) this.calls.delete(key);
    };
    call.promise.then(forget, forget);
  }

  /** Stops listing the call in flight for `key`: later calls do not join it (those already waiting still get its value). */
  drop(key: string): void {
    this.calls.delete(key);
  }

  /**
   * Waits for `pending`, up to `timeoutMs` (0: as long as it takes) or until
   * {@link releaseAll}; then answers what `giveUp` answers instead. Calls
   * `received` when the value arrives in time.
   */
  join(pending: Promise<unknown>, timeoutMs: number, giveUp: (why: GiveUp) => unknown, received: () => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const stopWaiting = (): void => {
        clearTimeout(timer);
        this.waiters.delete(release);
      };
      const settleWith = (why: GiveUp): void => {
        stopWaiting();
        try {
          resolve(giveUp(why));
        } catch (error) {
          reject(error);
        }
      };
      const release = (): void => settleWith('released');
      if (timeoutMs > 0) timer = setTimeout(() => settleWith('timed out'), timeoutMs);
      this.waiters.add(release);
      pending.then(
        (value) => {
          // Still waiting, unless it gave up (timed out, released) before the value came.
          if (this.waiters.has(release)) received();
          stopWaiting();
          resolve(value);
        },
        (error: unknown) => {
          stopWaiting();
          reject(error);
        },
      );
    });
  }

  /** Forgets every call in flight and sets their waiters free. */
  releaseAll(): void {
    this.calls.clear();
    for (const release of [...this.waiters]) release();
  }
}
