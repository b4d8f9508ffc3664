import { ComputeTimeoutError } from '../errors.js';
import type { CallContext } from './context.js';
import { messageOf, type Observer } from './observer.js';

/**
 * Bounds how long a call waits for `pending`, its value (its own computation
 * or another caller's), by the function's `timeout` and `hardTimeout`,
 * counted from now:
 * - past `timeout`, when a stale entry is at hand (found by this call, or by
 *   `source`, the call in flight it joined), the call answers its value;
 * - past `hardTimeout`, the call rejects with {@link ComputeTimeoutError}.
 * Either way the computation goes on and stores its result for later calls.
 */
export function withinDeadlines(
  pending: Promise<unknown>,
  context: CallContext,
  source: CallContext,
  observer: Observer,
): Promise<unknown> {
  const { timeoutMs, hardTimeoutMs } = context.environment.options;
  if (timeoutMs === undefined && hardTimeoutMs === undefined) return pending;
  return new Promise((resolve, reject) => {
    let answered = false;
    const timers: NodeJS.Timeout[] = [];
    const answer = (): boolean => {
      if (answered) return false;
      answered = true;
      for (const timer of timers) clearTimeout(timer);
      return true;
    };
    if (timeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          const stale = context.stale ?? source.stale;
          // Without a stale value the call keeps waiting, up to hardTimeout.
          if (stale === undefined || !answer()) return;
          observer.servedStaleAfterTimeout(context, timeoutMs);
          resolve(stale.value);
        }, timeoutMs),
      );
    }
    if (hardTimeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          if (!answer()) return;
          observer.computeTimedOut(context, hardTimeoutMs);
          reject(new ComputeTimeoutError(observer.functionId, hardTimeoutMs));
        }, hardTimeoutMs),
      );
    }
    pending.then(
      (value) => {
        if (answer()) resolve(value);
      },
      (error: unknown) => {
        if (answer()) reject(error);
        // Nobody waits for this outcome any more: tell it, once per kind.
        else observer.warnOnce(`a computation that outlived its call's timeout failed: ${messageOf(error)}`, 'CACHIER_REFRESH_FAILED');
      },
    );
  });
}
