import { READ_LATER, type CacheCore, type CoreLog, type StoredEntry } from '../core.js';
import { withLocalTier } from '../backends/shared/local-tier.js';
import { currentDefaultsVersion, givenDefaults, isCachingEnabled } from '../config.js';
import { coreFor } from '../backends/load-core.js';
import { backendNamed } from '../backends/registry.js';
import { breakerStateOf, guardCore } from '../resilience/guard.js';
import { CircularCallError, InvalidOptionError } from '../errors.js';
import { canonicalArguments, canonicalHashResult, digestKey, flatKey } from '../keys.js';
import { logFor } from '../log.js';
import { FunctionMetrics, trackedMetrics, UNCOUNTED, type MetricsSnapshot } from '../metrics.js';
import { resolveOptions, type AnyFunction, type CachierOptions, type ResolvedOptions } from '../options.js';
import { isThenable, type Operations } from '../plan.js';
import { NO_OVERRIDES, type CallSettings } from './call-options.js';
import { CallFlow, NOT_SERVED } from './call-flow.js';
import type { CallContext, Environment } from './context.js';
import { withinDeadlines } from './deadlines.js';
import { isEntryFresh, shelfLifeOf } from './entry-freshness.js';
import { InFlight, type InFlightCall } from './inflight.js';
import { Observer } from './observer.js';
import { Receivers } from './receiver.js';
import { computeWithin, isComputing } from './reentry.js';

/** What a cache holds, and how this wrapper has been used since it was made (or since `resetMetrics()`). */
export interface CacheInfo extends MetricsSnapshot {
  /** The function's cache id. */
  readonly id: string;
  /** The source hash the entries belong to. */
  readonly sourceHash: string;
  /** The backend in use. */
  readonly backend: string;
  /** Entries stored for this function (this source hash), in every process. */
  readonly entries: number;
  /** Bytes the stored values take in the backend (serialized, without keys and bookkeeping). */
  readonly totalBytes: number;
}

/**
 * The cache of one wrapped function: resolves its settings and core on first
 * use, gives each call its context and key, shares computations in flight in
 * this process, and hands the rest of the call to its {@link CallFlow}.
 */
export class FunctionCache {
  readonly id: string;
  readonly sourceHash: string;
  readonly log: CoreLog;
  private readonly metrics: FunctionMetrics;
  private readonly observer: Observer;
  private readonly flow: CallFlow;
  private readonly inflight = new InFlight();
  /** Promises of the values of entries read at once, by entry: see {@link settledPromiseOf}. */
  private readonly settled = new WeakMap<StoredEntry, Promise<unknown>>();
  private environment: Environment | undefined;
  private environmentVersion = -1;
  private nextCleanupAt = -Infinity;
  /** Set once a function not declared `async` turns out to return promises. */
  returnsPromise: boolean;
  /** What `this` adds to a call's key. */
  readonly receivers = new Receivers();

  constructor(
    private fn: AnyFunction,
    private options: CachierOptions,
    identity: { id: string; sourceHash: string; isAsync: boolean },
  ) {
    this.id = identity.id;
    this.sourceHash = identity.sourceHash;
    this.returnsPromise = identity.isAsync;
    this.log = logFor(identity.id);
    this.metrics = trackedMetrics(identity.id);
    this.metrics.probe = () => this.sizes();
    this.observer = new Observer(identity.id, this.log);
    this.flow = new CallFlow(this, this.observer);
  }

  /**
   * Takes over a redefinition of the function (its module evaluated again):
   * later calls run the newest definition with its options, while entries,
   * computations in flight and metrics stay shared with the first.
   */
  adopt(fn: AnyFunction, options: CachierOptions): void {
    this.fn = fn;
    this.options = options;
    this.environment = undefined;
  }

  /** Settings and core, re-resolved when the global defaults change. */
  resolve(): Environment {
    const version = currentDefaultsVersion();
    if (this.environment && this.environmentVersion === version) return this.environment;
    const options = resolveOptions(this.options, givenDefaults());
    const unguarded = coreFor(
      options,
      { functionId: this.id, sourceHash: this.sourceHash },
      this.log,
      (value) => shelfLifeOf(options, value),
      (count) => this.observer.evicted(count),
    );
    // Server backends get cachier's deadline and a circuit breaker per connection; memory and file need neither.
    const connection = backendNamed(options.backend)?.connection;
    const shared = connection && options.connections[connection.option];
    const guarded = shared ? guardCore(unguarded, { connection: shared, timeoutMs: options.backendTimeoutMs, log: this.log }) : unguarded;
    const core = options.local ? this.localTierOver(guarded, options, shared) : guarded;
    this.environment = { options, core, metrics: options.metrics ? this.metrics : UNCOUNTED };
    this.observer.metrics = this.environment.metrics;
    this.observer.backend = core.backend;
    this.environmentVersion = version;
    return this.environment;
  }

  /** The local tier (option `local`) in front of a shared backend's guarded core, so a local hit never meets the breaker. */
  private localTierOver(core: CacheCore, options: ResolvedOptions, connection: unknown): CacheCore {
    const loadChannel = backendNamed(options.backend)?.loadInvalidation;
    if (!options.local || !loadChannel) return core;
    return withLocalTier(core, {
      ...options.local,
      functionId: this.id,
      sourceHash: this.sourceHash,
      connection,
      loadChannel,
      shelfLifeOf: (value) => shelfLifeOf(options, value),
      clock: options.clock,
      timeoutMs: options.backendTimeoutMs,
      log: this.log,
    });
  }

  /** The cache key of a call, in the form the core takes: with `this` for a method called on an instance. */
  keyOf(environment: Environment, thisArg: unknown, args: unknown[]): string {
    const { hash, allowNonStaticMethods } = environment.options;
    const canonical = hash
      ? canonicalHashResult(hash(args, thisArg))
      : allowNonStaticMethods
        ? canonicalArguments(args)
        : this.receivers.canonicalCall(thisArg, args, this.fn.name);
    return environment.core.rawKeys ? flatKey(canonical) : digestKey(canonical);
  }

  /** Runs one call through the cache; answers a promise when anything along the way was asynchronous. */
  call(thisArg: unknown, args: unknown[], settings: CallSettings): unknown {
    if (!isCachingEnabled() || settings.skipCache) return this.fn.apply(thisArg, args);
    const environment = this.resolve();
    // Before the key, so a sampled hit's latency includes deriving it.
    const startedAt = environment.metrics.timesHit(environment.options.metricsSamplingRate) ? performance.now() : undefined;
    const context: CallContext = {
      environment,
      settings,
      key: this.keyOf(environment, thisArg, args),
      thisArg,
      args,
      startedAt,
      backendFailed: false,
      stale: undefined,
    };
    if (environment.options.cleanupStale) this.cleanUpIfDue(environment);
    if (settings.shareable && this.inflight.size > 0) {
      const flight = this.inflight.get(context.key);
      if (flight) return this.join(context, flight);
    }
    const readAtOnce = environment.core.readAtOnce;
    const entry = readAtOnce && !settings.overwriteCache ? readAtOnce(context.key) : READ_LATER;
    let result: unknown;
    if (entry !== READ_LATER) {
      // Read here, at once: plan only what a hit does not answer.
      const served = this.flow.serve(context, entry);
      if (served !== NOT_SERVED) return this.returnsPromise ? this.settledPromiseOf(entry as StoredEntry) : served;
      result = this.flow.run(context, this.flow.compute(context, 'wait', true));
    } else {
      result = this.flow.run(context, this.flow.lookup(context));
    }
    if (!(result instanceof Promise)) return result;
    if (settings.shareable) this.inflight.track(context.key, { promise: result, context });
    return withinDeadlines(result, context, context, this.observer);
  }

  /**
   * Waits for the computation of the key already in flight in this process,
   * up to the wait timeout or until `clearBeingCalculated()`; then computes here.
   */
  private join(context: CallContext, flight: InFlightCall): Promise<unknown> {
    if (isComputing(this.id, context.key)) throw new CircularCallError(this.id);
    this.observer.waiting(context, true);
    const timeoutMs = context.settings.waitForCalcTimeoutMs ?? context.environment.options.waitForCalcTimeoutMs;
    const joined = this.inflight.join(
      flight.promise,
      timeoutMs,
      (why) => {
        this.observer.waitEnded(context, why);
        return this.flow.run(context, this.flow.compute(context, 'compute', false));
      },
      () => this.observer.waitEnded(context, 'received'),
    );
    return withinDeadlines(joined, context, flight.context, this.observer);
  }

  /**
   * The promise an async function's hit answers: one per stored entry, made
   * on its first hit, since each promise made costs a hit more than its lookup.
   */
  private settledPromiseOf(entry: StoredEntry): Promise<unknown> {
    let settled = this.settled.get(entry);
    if (settled === undefined) {
      settled = Promise.resolve(entry.value);
      this.settled.set(entry, settled);
    }
    return settled;
  }

  /** The core operations of this function's calls: sync ones for a sync function. */
  operationsFor(environment: Environment): Operations {
    if (this.returnsPromise) return environment.core;
    if (environment.core.sync) return environment.core.sync;
    throw new InvalidOptionError(
      'backend',
      `'${environment.core.backend}' serves async functions only, and ${this.id} is not declared async`,
    );
  }

  /** Calls the function for a call, as the computation of its key (see `reentry.ts`). */
  invoke(context: CallContext): unknown {
    const result = computeWithin(this.id, context.key, () => this.fn.apply(context.thisArg, context.args));
    if (!this.returnsPromise && isThenable(result)) {
      this.returnsPromise = true;
      this.observer.warnOnce(
        'the function returns a Promise but is not declared async; declare it async so that cache hits in a new process return a Promise too',
        'CACHIER_UNDECLARED_ASYNC',
      );
    }
    return result;
  }

  /** Stores `value` for `args` as if it had just been computed, and answers it. */
  precache(args: unknown[], value: unknown): unknown {
    const environment = this.resolve();
    const stored = environment.core.store(this.keyOf(environment, undefined, args), { value, computedAt: environment.options.clock() });
    if (!isThenable(stored)) {
      this.observer.evicted(stored);
      return value;
    }
    return Promise.resolve(stored).then((evicted) => {
      this.observer.evicted(evicted);
      return value;
    });
  }

  /** Usage figures, the number of stored entries and their size. */
  async info(): Promise<CacheInfo> {
    const environment = this.resolve();
    // The breaker belongs to the connection, shared by every function on it: read its state when asked.
    const breaker = breakerStateOf(environment.core);
    if (breaker) this.observer.backendStateChanged(breaker.state);
    const { entries, totalBytes } = await this.sizes();
    return {
      id: this.id,
      sourceHash: this.sourceHash,
      backend: environment.core.backend,
      entries,
      ...(environment.options.metrics ? environment.metrics : new FunctionMetrics(this.id)).snapshot(),
      totalBytes,
    };
  }

  /** Sets this function's figures back to zero. */
  resetMetrics(): void {
    this.metrics.reset();
  }

  private async sizes(): Promise<{ entries: number; totalBytes: number }> {
    const { core } = this.resolve();
    const [entries, totalBytes] = await Promise.all([core.count(), core.totalBytes()]);
    return { entries, totalBytes };
  }

  /**
   * Removes the entries that are stale now (older than `staleAfter`, or
   * stamped in the future beyond the clock-skew tolerance); answers how many.
   */
  async deleteStale(): Promise<number> {
    const { core, options } = this.resolve();
    const now = options.clock();
    // An entry computed after the cleanup began is fresh, not "stamped in the future": it is left alone.
    const deleted = await core.deleteStale((entry) => entry.computedAt <= now && !isEntryFresh(options, NO_OVERRIDES, entry, now));
    this.log.debug(`deleted ${deleted} stale entries`);
    return deleted;
  }

  /** Starts a background `deleteStale()` when `cleanupInterval` has passed since the last one of this process. */
  private cleanUpIfDue(environment: Environment): void {
    const now = environment.options.clock();
    if (now < this.nextCleanupAt) return;
    this.nextCleanupAt = now + environment.options.cleanupIntervalMs;
    this.deleteStale().catch((error: unknown) =>
      this.observer.warnOnce(`could not delete stale entries: ${(error as Error)?.message ?? String(error)}`, 'CACHIER_CLEANUP_FAILED'),
    );
  }

  /**
   * Removes the entry of the call with `args` (and `thisArg`, for a `hash`
   * that keys on it) and answers whether there was one. A computation of the
   * key under way in this process is joined by no later call and stores
   * nothing: its value may come from what the caller wants forgotten.
   * @throws {@link UnkeyableArgumentError} for arguments a call could not key either.
   */
  forget(thisArg: unknown, args: unknown[]): boolean | Promise<boolean> {
    const environment = this.resolve();
    const key = this.keyOf(environment, thisArg, args);
    this.inflight.drop(key);
    const stores = this.flow.forget(key);
    const { core } = environment;
    return stores === undefined ? core.delete(key) : stores.then(() => core.delete(key));
  }

  /** Removes this function's entries. */
  clear(): unknown {
    return this.resolve().core.clear();
  }

  /**
   * Removes this function's being-calculated marks, and sets free the callers
   * of this process waiting for a computation in flight: they compute themselves.
   */
  clearBeingCalculated(): unknown {
    this.inflight.releaseAll();
    return this.resolve().core.clearBeingCalculated();
  }
}
