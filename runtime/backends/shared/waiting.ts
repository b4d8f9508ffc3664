import type { StoredEntry, WaitOptions } from '../../core.js';
import { withDeadline } from '../../resilience/deadline.js';

/** Polling of a key another caller computes starts this fast and slows down to once a second. */
const FIRST_POLL_MS = 25;
const LONGEST_POLL_MS = 1000;

/** What one look at a key tells a waiter. */
export interface MarkState {
  /** Milliseconds the owner's mark still lives; 0 or less once it is released or ran out. */
  readonly leaseLeftMs: number;
  /** The key's entry, read in the same look (only needed once the mark is gone). */
  readonly entry?: StoredEntry | undefined;
}

/** A backend's way to wake waiters early: a subscription (Redis) or a LISTEN (PostgreSQL). */
export interface Notifier {
  /** Starts listening for `name`, if no other waiter does (never awaited: polling covers the gap). */
  enter(name: string): void;
  /** Stops listening for `name` once its last waiter leaves. */
  leave(name: string): void;
  readonly wakeups: Wakeups;
}

/**
 * Waits until no live mark is held on a key, then returns its entry; returns
 * `undefined` when the timeout passes first. `look` reads the key; a
 * `notifier`, for backends that can notify, wakes the wait early when the
 * key named `name` may have changed. Polling stays as the fallback, so a lost
 * notification only costs latency.
 */
export async function waitWhileMarked(
  options: WaitOptions,
  look: () => Promise<MarkState>,
  notifier?: { readonly source: Notifier; readonly name: string },
): Promise<StoredEntry | undefined> {
  notifier?.source.enter(notifier.name);
  try {
    const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Infinity;
    let pause = FIRST_POLL_MS;
    while (true) {
      const state = await withDeadline('cache', 'a look at a key being computed', look, () => options.lookTimeoutMs ?? null);
      if (state.leaseLeftMs <= 0) return state.entry;
      const now = Date.now();
      if (now >= deadline) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const elapsed = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.min(pause, deadline - now, state.leaseLeftMs + 1));
      });
      await (notifier ? Promise.race([elapsed, notifier.source.wakeups.woken(notifier.name)]) : elapsed);
      clearTimeout(timer);
      pause = Math.min(pause * 1.5, LONGEST_POLL_MS);
    }
  } finally {
    notifier?.source.leave(notifier.name);
  }
}

/**
 * Wakes waiters by name (a key, a channel): `woken(name)` resolves at the
 * next `wake(name)`. `enter` and `leave` count a name's waiters, so a backend
 * knows when to start and stop listening for it.
 */
export class Wakeups {
  private readonly waiters = new Map<string, { count: number; signal?: { promise: Promise<void>; resolve: () => void } }>();

  /** Counts one more waiter on `name`; true for the first, which should start listening. */
  enter(name: string): boolean {
    const state = this.waiters.get(name);
    if (state) {
      state.count++;
      return false;
    }
    this.waiters.set(name, { count: 1 });
    return true;
  }

  /** Counts one waiter less on `name`; true for the last, which should stop listening. */
  leave(name: string): boolean {
    const state = this.waiters.get(name);
    if (!state) return false;
    if (--state.count > 0) return false;
    this.waiters.delete(name);
    return true;
  }

  /** Whether anyone waits on any name. */
  get idle(): boolean {
    return this.waiters.size === 0;
  }

  /** Resolves at the next {@link Wakeups.wake} of `name` (a waiter must have entered it). */
  woken(name: string): Promise<void> {
    const state = this.waiters.get(name);
    if (!state) return Promise.resolve();
    if (!state.signal) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((done) => (resolve = done));
      state.signal = { promise, resolve };
    }
    return state.signal.promise;
  }

  wake(name: string): void {
    const state = this.waiters.get(name);
    const signal = state?.signal;
    if (!state || !signal) return;
    state.signal = undefined;
    signal.resolve();
  }
}
