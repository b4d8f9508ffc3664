import type { ClaimResult, CoreLog, StoredEntry } from '../core.js';
import { CacheWriteError, CircularCallError } from '../errors.js';
import { drive, isThenable, perform, type Operations, type Plan, type Step } from '../plan.js';
import { Computations } from './computations.js';
import type { CallContext, Environment } from './context.js';
import { isEntryFresh, shelfLifeOf } from './entry-freshness.js';
import { decideStale, isFresh, isWithinGrace } from './freshness.js';
import { GraceBackoff } from './grace-backoff.js';
import { renewWhileComputing } from './leases.js';
import { messageOf, type Observer } from './observer.js';
import { isComputing } from './reentry.js';

/** What a failed core operation answers instead. */
const UNAVAILABLE = Symbol('unavailable');

/** What a read answers when it does not serve the call: a miss, a stale entry to recompute, a failed read. */
export const NOT_SERVED = Symbol('not served');

/** On a busy key: wait for its computer, leave it (a background refresh), or compute now (a waiter that gave up). */
export type BusyPolicy = 'wait' | 'skip' | 'compute';

/**
 * How many computers of its key a synchronous call waits for in turn before
 * computing it itself: a synchronous wait may end at once, without waiting
 * (the computer is in this very process and can only finish after it).
 */
const SYNC_WAIT_ROUNDS = 3;

/** What the call flow needs from the cached function it serves. */
export interface FlowHost {
  readonly id: string;
  readonly returnsPromise: boolean;
  /** Calls the function for the context's arguments. */
  invoke(context: CallContext): unknown;
  /** The core operations the function's calls run against: sync or async. */
  operationsFor(environment: Environment): Operations;
}

type Claim = ClaimResult | typeof UNAVAILABLE;

/**
 * The flow of a call once its key is known: read, decide, claim or wait,
 * compute, store. Written as plans ({@link Plan}) that run synchronously over
 * a sync core and asynchronously over an async one. Every decision is
 * reported to the {@link Observer}, which does the counting and the telling.
 */
export class CallFlow {
  private readonly refreshing = new Set<string>();
  private readonly backoff = new GraceBackoff();
  private readonly computations = new Computations();

  constructor(
    private readonly host: FlowHost,
    private readonly observer: Observer,
  ) {}

  /** Runs a plan of this flow against the function's core. */
  run(context: CallContext, plan: Plan<unknown>): unknown {
    return drive(plan, this.host.operationsFor(context.environment));
  }

  /** Reads the key, serves what may be served, else computes. */
  *lookup(context: CallContext): Plan<unknown> {
    if (!context.settings.overwriteCache) {
      const entry = yield* this.tolerate(context, 'read', (ops) => ops.get(context.key));
      const served = this.serve(context, entry);
      if (served !== NOT_SERVED) return served;
    }
    return yield* this.compute(context, 'wait', !context.settings.overwriteCache);
  }

  /**
   * What a read of the key answers: the value of a fresh entry, or of a stale
   * one with `nextTime` (refreshed in the background) or within `grace` while
   * its key backs off; else {@link NOT_SERVED}, and the call computes.
   */
  serve(context: CallContext, entry: StoredEntry | undefined | typeof UNAVAILABLE): unknown {
    if (entry === UNAVAILABLE) return NOT_SERVED;
    if (entry === undefined) {
      this.observer.miss(context);
      return NOT_SERVED;
    }
    const { options } = context.environment;
    const { settings, key } = context;
    const now = options.clock();
    const ageMs = now - entry.computedAt;
    const shelfLifeMs = settings.staleAfterMs ?? shelfLifeOf(options, entry.value);
    // The common case first, without building the whole policy: a hit.
    if (isFresh(ageMs, shelfLifeMs, settings.maxAgeMs)) {
      this.observer.hit(context, ageMs);
      return entry.value;
    }
    const freshness = decideStale(ageMs, {
      shelfLifeMs,
      maxAgeMs: settings.maxAgeMs,
      nextTime: settings.nextTime ?? options.nextTime,
      graceMs: options.graceMs,
      backingOff: options.graceMs > 0 && this.backoff.isActive(key, now),
    });
    this.observer.stale(context, ageMs, freshness);
    if (freshness === 'recompute') {
      context.stale = entry;
      return NOT_SERVED;
    }
    if (freshness === 'refresh') this.refreshInBackground(context);
    return entry.value;
  }

  /**
   * Computes the key once: claims it, or waits for whoever holds it, then
   * computes and stores. With `acceptFresh`, a fresh entry found right after
   * claiming (another process stored it meanwhile) is served instead.
   */
  *compute(context: CallContext, whenBusy: BusyPolicy, acceptFresh: boolean): Plan<unknown> {
    let claim: Claim = whenBusy === 'compute' ? UNAVAILABLE : yield* this.tolerate(context, 'mark', (ops) => ops.claim(context.key));
    if (claim !== UNAVAILABLE && !claim.claimed) {
      if (whenBusy === 'skip') {
        this.observer.trace(context, 'another caller is already refreshing it');
        return undefined;
      }
      const waited = yield* this.waitForOther(context);
      if (waited !== UNAVAILABLE && !('claimed' in waited)) return waited.value;
      claim = waited;
    }
    const token = claim !== UNAVAILABLE && claim.claimed ? claim.token : undefined;
    const current = claim !== UNAVAILABLE && claim.claimed ? claim.current : undefined;
    if (current && this.isFreshNow(context, current)) {
      if (acceptFresh) {
        // Another process stored the key between this call's read and its claim.
        this.observer.trace(context, 'stored by another caller meanwhile');
        yield* this.release(context, token);
        return current.value;
      }
    } else if (current) {
      context.stale ??= current;
    }
    return yield* this.computeAndStore(context, token);
  }

  /**
   * Waits for the caller computing the key, and for whoever takes it over
   * when that one ends without a fresh entry (it died, stored nothing, or a
   * clear removed its entry), within one `waitForCalcTimeout`. Answers the
   * fresh entry received, or the claim to compute with.
   */
  private *waitForOther(context: CallContext): Generator<Step, StoredEntry | Claim, unknown> {
    if (isComputing(this.host.id, context.key)) throw new CircularCallError(this.host.id);
    this.observer.waiting(context, false);
    const waitMs = context.settings.waitForCalcTimeoutMs ?? context.environment.options.waitForCalcTimeoutMs;
    const deadline = waitMs > 0 ? Date.now() + waitMs : Infinity;
    // An async wait only ends once its computer is gone, so every round waits
    // for a live one: computing now would compute the key twice at once.
    const rounds = this.host.returnsPromise ? Infinity : SYNC_WAIT_ROUNDS;
    let claim: Claim = { claimed: false };
    for (let round = 0; round < rounds && claim !== UNAVAILABLE && !claim.claimed && Date.now() < deadline; round++) {
      const timeoutMs = deadline === Infinity ? 0 : Math.max(1, deadline - Date.now());
      const awaited = yield* this.tolerate(context, 'wait', (ops) => ops.waitForEntry(context.key, { timeoutMs }));
      // A wait the backend failed ends the rounds: the call computes without the backend.
      if (awaited === UNAVAILABLE) break;
      if (awaited !== undefined && this.isFreshNow(context, awaited)) {
        this.observer.waitEnded(context, 'received');
        return awaited;
      }
      claim = yield* this.tolerate(context, 'mark', (ops) => ops.claim(context.key));
    }
    this.observer.waitEnded(context, Date.now() >= deadline ? 'timed out' : 'nothing fresh');
    return claim;
  }

  /**
   * Calls the function, renewing the lease `token` holds meanwhile, and
   * stores its value. When the function fails, a stale entry within `grace`
   * is served instead ({@link recover}).
   */
  private *computeAndStore(context: CallContext, token: string | undefined): Plan<unknown> {
    const { environment, key } = context;
    const { options } = environment;
    const computation = this.computations.begin(key);
    const stopRenewing =
      token === undefined
        ? undefined
        : renewWhileComputing(environment.core, key, token, { leaseMs: options.leaseMs, log: this.observer.log });
    if (stopRenewing !== undefined && token !== undefined) {
      computation.letGo = () => {
        stopRenewing();
        return environment.core.release(key, token);
      };
    }
    try {
      this.observer.computing(context);
      const startedAt = performance.now();
      let value: unknown;
      try {
        value = yield* perform(() => this.host.invoke(context));
      } catch (error) {
        this.observer.computeFailed(context, performance.now() - startedAt, error);
        yield* this.release(context, token);
        return this.recover(context, error);
      } finally {
        stopRenewing?.();
      }
      this.observer.computed(context, performance.now() - startedAt);
      if (value === undefined && !(context.settings.allowUndefined ?? options.allowUndefined)) {
        this.observer.trace(context, 'returned undefined: not stored (set allowUndefined to cache it)');
        yield* this.release(context, token);
        return value;
      }
      if (computation.forgotten) {
        this.observer.trace(context, 'forgotten while computing: returned, not stored');
        yield* this.release(context, token);
        return value;
      }
      const stored = yield* this.tolerate(context, 'write', (ops) => {
        const storing = ops.store(key, { value, computedAt: options.clock() }, token);
        if (isThenable(storing)) computation.storing = Promise.resolve(storing);
        return storing;
      });
      if (stored === UNAVAILABLE) yield* this.release(context, token);
      else {
        this.observer.evicted(stored);
        this.backoff.end(key);
      }
      return value;
    } finally {
      this.computations.end(computation);
    }
  }

  /**
   * Keeps the computations of `key` under way in this process from storing
   * their values and releases their marks; answers when that is done and the
   * stores already started have ended (undefined when there is nothing to wait for).
   */
  forget(key: string): Promise<unknown> | undefined {
    return this.computations.forget(key);
  }

  /**
   * After the function failed: the stale entry the call found, when it is
   * within `grace`, served and its key backing off for `graceBackoff`; else
   * the function's error.
   */
  private recover(context: CallContext, error: unknown): unknown {
    const { stale, key } = context;
    const { options } = context.environment;
    if (stale === undefined || options.graceMs <= 0) throw error;
    const now = options.clock();
    const ageMs = now - stale.computedAt;
    if (!isWithinGrace(ageMs, context.settings.staleAfterMs ?? shelfLifeOf(options, stale.value), options.graceMs)) throw error;
    this.backoff.start(key, now + options.graceBackoffMs);
    this.observer.servedStale(context, ageMs, error, options.graceBackoffMs);
    return stale.value;
  }

  /**
   * Clears the mark `token` holds, if this call holds one, without storing
   * anything. After a backend failure the call does not wait on the backend
   * again, but its mark would block every other caller of the key until its
   * lease ends: it is released in the background ({@link releaseInBackground}).
   */
  private *release(context: CallContext, token: string | undefined): Plan<void> {
    if (token === undefined) return;
    if (!context.backendFailed) {
      yield* this.tolerate(context, 'mark', (ops) => ops.release(context.key, token));
      return;
    }
    releaseInBackground(context, token, this.observer.log);
  }

  /**
   * Refreshes a stale key after the call has returned its stale value, as a
   * call of its own: an async function's refresh runs alongside; a sync
   * function's runs on the next turn of the event loop, so the caller never
   * waits for it. A failed refresh keeps the stale entry and warns.
   */
  refreshInBackground(context: CallContext): void {
    const { key } = context;
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const refreshContext: CallContext = { ...context, startedAt: undefined, backendFailed: false, stale: undefined };
    const failed = (error: unknown): void => {
      this.refreshing.delete(key);
      this.observer.warnOnce(`background refresh failed: ${messageOf(error)}`, 'CACHIER_REFRESH_FAILED');
    };
    const refresh = (): void => {
      try {
        const done = this.run(refreshContext, this.compute(refreshContext, 'skip', true));
        if (isThenable(done)) {
          done.then(() => this.refreshing.delete(key), failed);
          return;
        }
      } catch (error) {
        failed(error);
        return;
      }
      this.refreshing.delete(key);
    };
    if (this.host.returnsPromise) refresh();
    else setImmediate(refresh);
  }

  private isFreshNow(context: CallContext, entry: StoredEntry): boolean {
    const { options } = context.environment;
    return isEntryFresh(options, context.settings, entry, options.clock());
  }

  /**
   * Runs a core operation; when the backend fails, reports it and answers
   * {@link UNAVAILABLE} so the call goes on without the cache (or rethrows
   * under `strict`). After one failure the call touches the backend no more.
   * A value that cannot be stored is always only a warning.
   */
  private *tolerate<T>(
    context: CallContext,
    what: 'read' | 'mark' | 'wait' | 'write',
    step: (ops: Operations) => T | PromiseLike<T>,
  ): Generator<Step, T | typeof UNAVAILABLE, unknown> {
    if (context.backendFailed) return UNAVAILABLE;
    try {
      return yield* perform(step);
    } catch (error) {
      if (!(error instanceof CacheWriteError)) {
        if (context.environment.options.strict) throw error;
        context.backendFailed = true;
      }
      this.observer.backendFailed(what, context.environment.core.backend, error, context.key);
      return UNAVAILABLE;
    }
  }
}

/** How often a background release is tried again: about the circuit breaker's first cool-down. */
const RELEASE_RETRY_MS = 1_000;

/**
 * Releases a mark after its call's backend failed, without the call waiting:
 * tried now and, while the backend keeps failing (or the circuit breaker
 * skips it), again every {@link RELEASE_RETRY_MS} until the lease would have
 * ended anyway. Best effort: a mark past its lease blocks nobody.
 */
function releaseInBackground(context: CallContext, token: string, log: CoreLog): void {
  const { core, options } = context.environment;
  const { key } = context;
  const leaseEnds = Date.now() + options.leaseMs;
  const attempt = (): void => {
    Promise.resolve()
      .then(() => core.release(key, token))
      .catch((error: unknown) => {
        const retryMs = Math.min(RELEASE_RETRY_MS, options.leaseMs / 3);
        if (Date.now() + retryMs < leaseEnds) setTimeout(attempt, retryMs).unref();
        else log.debug(`could not release the mark of ${key} after a backend failure: ${messageOf(error)}`);
      });
  };
  attempt();
}
