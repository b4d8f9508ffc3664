import type { CacheCore, CoreLog, StoredEntry, WaitOptions } from '../core.js';
import { CacheWriteError } from '../errors.js';
import { CircuitBreaker, type BreakerReport } from './breaker.js';
import { withDeadline } from './deadline.js';
import { takeSerializedBytes } from '../serialization.js';

/**
 * How much longer than `backendTimeout` an operation carrying a large value
 * may take: 1 ms per KiB (1 s per MiB, a link of 1 MiB/s), so a large value
 * still transfers while a hung server is still given up on.
 */
const EXTRA_MS_PER_BYTE = 1 / 1024;

/** The breaker of each backend connection (the object or function the option holds), shared by every function using it. */
const breakers = new WeakMap<object, CircuitBreaker>();

/** The breaker of each guarded core, for {@link breakerStateOf}. */
const breakerOfCore = new WeakMap<CacheCore, CircuitBreaker>();

/** What {@link guardCore} needs to know. */
export interface GuardSettings {
  /** The connection the core uses: the `redis`/`postgres`/`s3` option or the `mongetter`; one breaker per connection. */
  readonly connection: object;
  /** cachier's deadline on each operation (`backendTimeout`), in milliseconds. */
  readonly timeoutMs: number;
  /** Where the breaker's two warnings go. */
  readonly log: CoreLog;
}

/**
 * Wraps a server backend's core so that it can never break or hang a call:
 * each per-call operation (get, claim, renew, store, release, and each look
 * of a wait) has a deadline, and a circuit breaker shared by every core on
 * the same connection skips the backend at once after a failure, for a
 * growing cool-down. A value refused as too large or not serializable is not
 * a backend failure. Maintenance operations (clear, count, sizes, stale
 * cleanup) pass through unchanged: their errors reach their caller.
 */
export function guardCore(core: CacheCore, settings: GuardSettings): CacheCore {
  let breaker = breakers.get(settings.connection);
  if (!breaker) {
    breaker = new CircuitBreaker(core.backend, (message, code) => settings.log.warn(message, code));
    breakers.set(settings.connection, breaker);
  }
  const guarded = breaker;
  // The largest value this function stored in this process: reads may bring one back, and get its extra time.
  let largestBytes = 0;
  const allowance = (bytes: number): number => settings.timeoutMs + Math.ceil(bytes * EXTRA_MS_PER_BYTE);
  /** Runs `operation` unless the breaker skips the backend; `deadline` (null: none) is read once the operation has started, see {@link withDeadline}. */
  const guard = async <T>(
    what: string,
    operation: (signal: AbortSignal) => Promise<T>,
    deadline: () => number | null = () => allowance(largestBytes),
  ): Promise<T> => {
    guarded.admit();
    try {
      const answer = await withDeadline(core.backend, what, operation, deadline);
      guarded.succeeded();
      return answer;
    } catch (error) {
      if (error instanceof CacheWriteError) guarded.inconclusive();
      else guarded.failed(error);
      throw error;
    }
  };
  let storedBytes = 0;
  const wrapped: CacheCore = {
    ...core,
    get: (key) => guard('read', async (signal) => core.get(key, signal)),
    claim: (key) => guard('claim', async (signal) => core.claim(key, signal)),
    renew: (key, token) => guard('renew a lease', async (signal) => core.renew(key, token, signal)),
    store: (key, entry: StoredEntry, token) =>
      guard(
        'write',
        (signal) => {
          // The core serializes the value before its first await: its size is known once store() has returned.
          takeSerializedBytes();
          const storing = Promise.resolve(core.store(key, entry, token, signal));
          storedBytes = takeSerializedBytes();
          largestBytes = Math.max(largestBytes, storedBytes);
          return storing;
        },
        () => allowance(storedBytes),
      ),
    release: (key, token) => guard('release a mark', async (signal) => core.release(key, token, signal)),
    // The wait may last as long as another caller computes: the deadline bounds each of its looks instead.
    waitForEntry: (key, options: WaitOptions) =>
      guard(
        'wait',
        async () => core.waitForEntry(key, { ...options, lookTimeoutMs: allowance(largestBytes) }),
        () => null,
      ),
  };
  breakerOfCore.set(wrapped, breaker);
  return wrapped;
}

/**
 * The state of the circuit breaker guarding `core` and the failures it has
 * counted, or `undefined` for a core without one (memory, file).
 */
export function breakerStateOf(core: CacheCore): BreakerReport | undefined {
  return breakerOfCore.get(core)?.report();
}
