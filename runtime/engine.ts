import { AsyncLocalStorage } from 'node:async_hooks';
import { READ_LATER, type CacheCore, type ClaimResult, type CoreLog, type StoredEntry } from './core.js';
import { currentDefaultsVersion, givenDefaults, isCachingEnabled } from './config.js';
import { coreFactories } from './backends/registry.js';
import { parseDuration, type Duration } from './duration.js';
import { CacheWriteError, CachierError, CircularCallError, EntryTooLargeError, InvalidOptionError } from './errors.js';
import { canonicalArguments, canonicalHashResult, digestKey, flatKey } from './keys.js';
import { logFor } from './log.js';
import { FunctionMetrics, trackedMetrics, UNCOUNTED, type MetricsSnapshot } from './metrics.js';
import { guardCore } from './resilience/guard.js';
import { resolveOptions, type AnyFunction, type CachierOptions, type ResolvedOptions } from './options.js';
import { drive, isThenable, perform, type Operations, type Plan, type Step } from './plan.js';

/** Per-call overrides, given through `fn.withOptions(...)`; they never change the function's signature. */
export interface CallOptions {
  /** Call the function directly: read nothing, store nothing. */
  skipCache?: boolean;
  /** Compute even if a fresh entry exists, and store the new value. */
  overwriteCache?: boolean;
  /**
   * For this call only, treat entries older than this as stale and recompute
   * them now, even with `nextTime`. Negative values are rejected: use `overwriteCache`.
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
  /** Bytes the stored values take in the backend; `undefined` when the backend cannot tell. */
  readonly totalBytes: number | undefined;
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

/** The settings of a call without overrides. */
export const NO_OVERRIDES: CallSettings = resolveCallOptions({});

/** Parses per-call overrides (already validated). */
export function resolveCallOptions(overrides: CallOptions): CallSettings {
  const optional = (duration: Duration | undefined): number | undefined => (duration === undefined ? undefined : parseDuration(duration));
  return {
    skipCache: overrides.skipCache ?? false,
    overwriteCache: overrides.overwriteCache ?? false,
    maxAgeMs: optional(overrides.maxAge) ?? Infinity,
    staleAfterMs: optional(overrides.staleAfter),
    nextTime: overrides.nextTime,
    allowUndefined: overrides.allowUndefined,
    waitForCalcTimeoutMs: optional(overrides.waitForCalcTimeout),
    debug: overrides.debug ?? false,
    shareable:
      !overrides.overwriteCache &&
      overrides.maxAge === undefined &&
      overrides.staleAfter === undefined &&
      overrides.nextTime === undefined &&
      overrides.allowUndefined === undefined,
  };
}

interface Environment {
  readonly options: ResolvedOptions;
  readonly core: CacheCore;
  readonly metrics: FunctionMetrics;
}

/** On a busy key: wait for its computer, leave it (a background refresh), or compute now (a waiter that gave up). */
type BusyPolicy = 'wait' | 'skip' | 'compute';

/**
 * An entry stamped this far in the future is still fresh: clocks of machines
 * sharing a cache differ by a little. Beyond it, the clock that stamped it was
 * wrong (or has been set back), and the entry is stale.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5_000;

/** The keys being computed in the current async context, innermost first, to detect re-entry. */
interface Computing {
  readonly id: string;
  readonly key: string;
  readonly outer: Computing | undefined;
}

const computing = new AsyncLocalStorage<Computing>();

function isComputing(id: string, key: string): boolean {
  for (let frame = computing.getStore(); frame; frame = frame.outer) {
    if (frame.key === key && frame.id === id) return true;
  }
  return false;
}

/** What a failed core operation answers instead. */
const UNAVAILABLE = Symbol('unavailable');

/** What a read answers when it does not serve the call: a miss, a stale entry to recompute, a failed read. */
const NOT_SERVED = Symbol('not served');

/**
 * How many computers of its key a synchronous call waits for in turn before
 * computing it itself: a synchronous wait may end at once, without waiting
 * (the computer is in this very process and can only finish after it).
 */
const SYNC_WAIT_ROUNDS = 3;

/**
 * The cache of one wrapped function: resolves its settings and core on first
 * use, and runs each call's plan: fresh hit, miss, stale (recompute, or serve
 * and refresh with `nextTime`), wait for another computer, store.
 */
export class FunctionCache {
  readonly id: string;
  readonly sourceHash: string;
  readonly log: CoreLog;
  private readonly metrics: FunctionMetrics;
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Callers of this process waiting for a computation in flight: `clearBeingCalculated()` sets them free. */
  private readonly joiners = new Set<() => void>();
  private readonly refreshing = new Set<string>();
  /** Promises of the values of entries read at once, by entry: see {@link settledPromiseOf}. */
  private readonly settled = new WeakMap<StoredEntry, Promise<unknown>>();
  private readonly warned = new Set<string>();
  private environment: Environment | undefined;
  private environmentVersion = -1;
  private nextCleanupAt = -Infinity;
  /** Set once a function not declared `async` turns out to return promises. */
  returnsPromise: boolean;

  constructor(
    private readonly fn: AnyFunction,
    private readonly options: CachierOptions,
    identity: { id: string; sourceHash: string; isAsync: boolean },
  ) {
    this.id = identity.id;
    this.sourceHash = identity.sourceHash;
    this.returnsPromise = identity.isAsync;
    this.log = logFor(identity.id);
    this.metrics = trackedMetrics(identity.id);
    this.metrics.probe = () => this.sizes();
  }

  /** Settings and core, re-resolved when the global defaults change. */
  resolve(): Environment {
    const version = currentDefaultsVersion();
    if (this.environment && this.environmentVersion === version) return this.environment;
    const options = resolveOptions(this.options, givenDefaults());
    const factory = coreFactories[options.backend];
    if (!factory) throw new InvalidOptionError('backend', `backend '${options.backend}' is not available in this build`);
    const connection = options.backend === 'redis' || options.backend === 'postgres' || options.backend === 's3' ? options[options.backend] : undefined;
    const unguarded = factory({
      functionId: this.id,
      sourceHash: this.sourceHash,
      cacheDir: options.cacheDir,
      reload: options.reload,
      separateFiles: options.separateFiles,
      shared: options.shared,
      mongetter: options.mongetter,
      connection,
      staleAfterMs: options.staleAfterMs,
      entrySizeLimit: options.entrySizeLimit,
      leaseMs: options.leaseMs,
      clock: options.clock,
      policy: { staleAfterMs: options.staleAfterMs, nextTime: options.nextTime },
      log: this.log,
    });
    // Server backends get cachier's deadline and a circuit breaker per connection; memory and file need neither.
    const shared = connection ?? (options.backend === 'mongo' ? options.mongetter : undefined);
    const core = shared ? guardCore(unguarded, { connection: shared, timeoutMs: options.backendTimeoutMs, log: this.log }) : unguarded;
    this.environment = { options, core, metrics: options.metrics ? this.metrics : UNCOUNTED };
    this.environmentVersion = version;
    return this.environment;
  }

  /** The cache key of a call, in the form the core takes. */
  keyOf(environment: Environment, thisArg: unknown, args: unknown[]): string {
    const { hash } = environment.options;
    const canonical = hash ? canonicalHashResult(hash(args, thisArg)) : canonicalArguments(args);
    return environment.core.rawKeys ? flatKey(canonical) : digestKey(canonical);
  }

  /** Runs one call through the cache; answers a promise when anything along the way was asynchronous. */
  call(thisArg: unknown, args: unknown[], call: CallSettings): unknown {
    if (!isCachingEnabled() || call.skipCache) return this.fn.apply(thisArg, args);
    const environment = this.resolve();
    const { options, metrics } = environment;
    const startedAt = metrics.timesHit(options.metricsSamplingRate) ? performance.now() : undefined;
    const key = this.keyOf(environment, thisArg, args);
    if (options.cleanupStale) this.cleanUpIfDue(environment);
    if (call.shareable && this.inflight.size > 0) {
      const pending = this.inflight.get(key);
      if (pending) {
        if (isComputing(this.id, key)) throw new CircularCallError(this.id);
        metrics.waits++;
        this.trace(call, key, 'joins the call already in flight in this process');
        return this.join(environment, call, key, pending, thisArg, args);
      }
    }
    let result: unknown;
    const readAtOnce = environment.core.readAtOnce;
    const entry = readAtOnce && !call.overwriteCache ? readAtOnce(key) : READ_LATER;
    if (entry !== READ_LATER) {
      // Read here, at once: plan only what a hit does not answer.
      const served = this.serve(environment, call, key, entry, thisArg, args, startedAt);
      if (served !== NOT_SERVED) return this.returnsPromise ? this.settledPromiseOf(entry as StoredEntry) : served;
      result = drive(this.compute(environment, call, key, thisArg, args, 'wait', true), this.operationsFor(environment));
    } else {
      result = drive(this.lookup(environment, call, key, thisArg, args, startedAt), this.operationsFor(environment));
    }
    if (call.shareable && result instanceof Promise) {
      this.inflight.set(key, result);
      const forget = (): void => {
        if (this.inflight.get(key) === result) this.inflight.delete(key);
      };
      result.then(forget, forget);
    }
    return result;
  }

  /**
   * Waits for the computation of `key` already in flight in this process, up
   * to the wait timeout or until `clearBeingCalculated()`; then computes here.
   */
  private join(environment: Environment, call: CallSettings, key: string, pending: Promise<unknown>, thisArg: unknown, args: unknown[]): Promise<unknown> {
    const timeoutMs = call.waitForCalcTimeoutMs ?? environment.options.waitForCalcTimeoutMs;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const stopWaiting = (): void => {
        clearTimeout(timer);
        this.joiners.delete(computeHere);
      };
      const computeHere = (): void => {
        stopWaiting();
        this.trace(call, key, 'stopped waiting for the call in flight: computing here');
        try {
          resolve(drive(this.compute(environment, call, key, thisArg, args, 'compute', false), this.operationsFor(environment)));
        } catch (error) {
          reject(error);
        }
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          environment.metrics.waitTimeouts++;
          computeHere();
        }, timeoutMs);
      }
      this.joiners.add(computeHere);
      pending.then(
        (value) => {
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

  /**
   * The promise an async function's hit answers: one per stored entry, made
   * on its first hit, since each promise made costs a hit more than its
   * lookup, and more again where the AsyncLocalStorage of the re-entry check
   * runs on async hooks (Node before 24).
   */
  private settledPromiseOf(entry: StoredEntry): Promise<unknown> {
    let settled = this.settled.get(entry);
    if (settled === undefined) {
      settled = Promise.resolve(entry.value);
      this.settled.set(entry, settled);
    }
    return settled;
  }

  /** Stores `value` for `args` as if it had just been computed, and answers it. */
  precache(args: unknown[], value: unknown): unknown {
    const environment = this.resolve();
    const stored = environment.core.store(this.keyOf(environment, undefined, args), { value, computedAt: environment.options.clock() });
    return isThenable(stored) ? Promise.resolve(stored).then(() => value) : value;
  }

  /** Usage figures, the number of stored entries and their size. */
  async info(): Promise<CacheInfo> {
    const environment = this.resolve();
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

  private async sizes(): Promise<{ entries: number; totalBytes: number | undefined }> {
    const { core } = this.resolve();
    const [entries, totalBytes] = await Promise.all([core.count(), core.totalBytes?.()]);
    return { entries, totalBytes };
  }

  /**
   * Removes the entries that are stale now (older than `staleAfter`, or
   * stamped in the future beyond the clock-skew tolerance); answers how many.
   * @throws {@link CachierError} when the backend cannot delete stale entries.
   */
  async deleteStale(): Promise<number> {
    const environment = this.resolve();
    const { core, options } = environment;
    if (!core.deleteStale) throw new CachierError(`cachier: the ${core.backend} backend cannot delete stale entries`);
    const now = options.clock();
    // An entry computed after the cleanup began is fresh, not "stamped in the future": it is left alone.
    const deleted = await core.deleteStale((entry) => entry.computedAt <= now && !this.isFresh(environment, NO_OVERRIDES, entry, now));
    this.log.debug(`deleted ${deleted} stale entries`);
    return deleted;
  }

  /** Starts a background `deleteStale()` when `cleanupInterval` has passed since the last one of this process. */
  private cleanUpIfDue(environment: Environment): void {
    const now = environment.options.clock();
    if (now < this.nextCleanupAt) return;
    this.nextCleanupAt = now + environment.options.cleanupIntervalMs;
    this.deleteStale().catch((error: unknown) =>
      this.warnOnce(`could not delete stale entries: ${(error as Error)?.message ?? String(error)}`, 'CACHIER_CLEANUP_FAILED'),
    );
  }

  private operationsFor(environment: Environment): Operations {
    if (this.returnsPromise) return environment.core;
    if (environment.core.sync) return environment.core.sync;
    throw new InvalidOptionError(
      'backend',
      `'${environment.core.backend}' serves async functions only, and ${this.id} is not declared async`,
    );
  }

  private *lookup(
    environment: Environment,
    call: CallSettings,
    key: string,
    thisArg: unknown,
    args: unknown[],
    startedAt: number | undefined,
  ): Plan<unknown> {
    if (!call.overwriteCache) {
      const entry = yield* this.tolerate(environment, 'read', (ops) => ops.get(key));
      const served = this.serve(environment, call, key, entry, thisArg, args, startedAt);
      if (served !== NOT_SERVED) return served;
    }
    return yield* this.compute(environment, call, key, thisArg, args, 'wait', !call.overwriteCache);
  }

  /**
   * What a read of `key` answers, counted: the value of a fresh entry, or of a
   * stale one with `nextTime` (refreshed in the background); else
   * {@link NOT_SERVED}, and the call computes.
   */
  private serve(
    environment: Environment,
    call: CallSettings,
    key: string,
    entry: StoredEntry | undefined | typeof UNAVAILABLE,
    thisArg: unknown,
    args: unknown[],
    startedAt: number | undefined,
  ): unknown {
    const { options, metrics } = environment;
    if (entry === UNAVAILABLE) return NOT_SERVED;
    if (entry === undefined) {
      metrics.misses++;
      this.trace(call, key, 'miss');
      return NOT_SERVED;
    }
    const now = options.clock();
    const age = now - entry.computedAt;
    if (this.isFresh(environment, call, entry, now)) {
      metrics.hits++;
      if (startedAt !== undefined) metrics.record('hit', performance.now() - startedAt);
      // Only when traced: formatting the message would cost a hit more than the rest of it.
      if (call.debug || this.log.debugEnabled) this.trace(call, key, `hit (computed ${age}ms ago)`);
      return entry.value;
    }
    metrics.staleHits++;
    if ((call.nextTime ?? options.nextTime) && age <= call.maxAgeMs) {
      this.trace(call, key, `stale (computed ${age}ms ago): served, refreshing in the background`);
      this.refreshInBackground(environment, call, key, thisArg, args);
      return entry.value;
    }
    this.trace(call, key, `stale (computed ${age}ms ago): recomputing`);
    return NOT_SERVED;
  }

  /**
   * Computes a key once: claims it, or waits for whoever holds it, then
   * computes and stores. With `acceptFresh`, a fresh entry found right after
   * claiming (another process stored it meanwhile) is served instead.
   */
  private *compute(
    environment: Environment,
    call: CallSettings,
    key: string,
    thisArg: unknown,
    args: unknown[],
    whenBusy: BusyPolicy,
    acceptFresh: boolean,
  ): Plan<unknown> {
    const { options, metrics } = environment;
    let claim: ClaimResult | typeof UNAVAILABLE =
      whenBusy === 'compute' ? UNAVAILABLE : yield* this.tolerate(environment, 'mark', (ops) => ops.claim(key));
    if (claim !== UNAVAILABLE && !claim.claimed) {
      if (whenBusy === 'skip') {
        this.trace(call, key, 'another caller is already refreshing it');
        return undefined;
      }
      if (isComputing(this.id, key)) throw new CircularCallError(this.id);
      metrics.waits++;
      this.trace(call, key, 'another caller is computing it: waiting');
      const waitMs = call.waitForCalcTimeoutMs ?? options.waitForCalcTimeoutMs;
      const deadline = waitMs > 0 ? Date.now() + waitMs : Infinity;
      // When the computer ends without a fresh entry (it died, stored nothing, or a
      // clear removed its entry), another waiter may take the key over first: wait
      // for that one too, within the same timeout. An async wait only ends once its
      // computer is gone, so every round waits for a live one: computing now would
      // compute the key twice at once. A wait the backend failed ends the rounds.
      const rounds = this.returnsPromise ? Infinity : SYNC_WAIT_ROUNDS;
      let waited = true;
      for (let round = 0; round < rounds && waited && claim !== UNAVAILABLE && !claim.claimed && Date.now() < deadline; round++) {
        const timeoutMs = deadline === Infinity ? 0 : Math.max(1, deadline - Date.now());
        const awaited = yield* this.tolerate(environment, 'wait', (ops) => ops.waitForEntry(key, { timeoutMs }));
        waited = awaited !== UNAVAILABLE;
        if (awaited !== UNAVAILABLE && awaited !== undefined && this.isFresh(environment, call, awaited, options.clock())) {
          this.trace(call, key, 'received the value computed by the other caller');
          return awaited.value;
        }
        claim = yield* this.tolerate(environment, 'mark', (ops) => ops.claim(key));
      }
      if (Date.now() >= deadline) metrics.waitTimeouts++;
      this.trace(call, key, 'no fresh value after waiting: computing here');
    }
    const token = claim !== UNAVAILABLE && claim.claimed ? claim.token : undefined;
    const current = claim !== UNAVAILABLE && claim.claimed ? claim.current : undefined;
    if (current && acceptFresh && this.isFresh(environment, call, current, options.clock())) {
      // Another process stored the key between this call's read and its claim.
      this.trace(call, key, 'stored by another caller meanwhile');
      yield* this.release(environment, key, token);
      return current.value;
    }
    const stopRenewing = token === undefined ? undefined : this.renewWhileComputing(environment, key, token);
    metrics.computations++;
    const startedAt = performance.now();
    let value: unknown;
    try {
      value = yield* perform(() => this.invoke(key, thisArg, args));
    } catch (error) {
      yield* this.release(environment, key, token);
      throw error;
    } finally {
      stopRenewing?.();
    }
    metrics.record('computation', performance.now() - startedAt);
    if (value === undefined && !(call.allowUndefined ?? options.allowUndefined)) {
      this.trace(call, key, 'returned undefined: not stored (set allowUndefined to cache it)');
      yield* this.release(environment, key, token);
      return value;
    }
    const entry: StoredEntry = { value, computedAt: options.clock() };
    const stored = yield* this.tolerate(environment, 'write', (ops) => ops.store(key, entry, token));
    if (stored === UNAVAILABLE) yield* this.release(environment, key, token);
    return value;
  }

  /** Clears the mark `token` holds, if this call holds one, without storing anything. */
  private *release(environment: Environment, key: string, token: string | undefined): Plan<void> {
    if (token !== undefined) yield* this.tolerate(environment, 'mark', (ops) => ops.release(key, token));
  }

  private invoke(key: string, thisArg: unknown, args: unknown[]): unknown {
    const result = computing.run({ id: this.id, key, outer: computing.getStore() }, () => this.fn.apply(thisArg, args));
    if (!this.returnsPromise && isThenable(result)) {
      this.returnsPromise = true;
      this.warnOnce(
        'the function returns a Promise but is not declared async; declare it async so that ' +
          'cache hits in a new process return a Promise too',
        'CACHIER_UNDECLARED_ASYNC',
      );
    }
    return result;
  }

  /**
   * Refreshes a stale key after the call has returned its stale value: an
   * async function's refresh runs alongside; a sync function's runs on the
   * next turn of the event loop, so the caller never waits for it. A failed
   * refresh keeps the stale entry and warns.
   */
  private refreshInBackground(environment: Environment, call: CallSettings, key: string, thisArg: unknown, args: unknown[]): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const failed = (error: unknown): void => {
      this.warnOnce(`background refresh failed: ${(error as Error)?.message ?? String(error)}`, 'CACHIER_REFRESH_FAILED');
    };
    const refresh = (): void => {
      try {
        const done = drive(this.compute(environment, call, key, thisArg, args, 'skip', true), this.operationsFor(environment));
        if (isThenable(done)) {
          done.then(() => this.refreshing.delete(key), (error: unknown) => {
            this.refreshing.delete(key);
            failed(error);
          });
          return;
        }
      } catch (error) {
        failed(error);
      }
      this.refreshing.delete(key);
    };
    if (this.returnsPromise) refresh();
    else setImmediate(refresh);
  }

  private renewWhileComputing(environment: Environment, key: string, token: string): () => void {
    const timer = setInterval(() => {
      Promise.resolve()
        .then(() => environment.core.renew(key, token))
        .catch((error: unknown) => this.log.debug(`could not renew the lease of ${key}: ${String(error)}`));
    }, Math.max(10, environment.options.leaseMs / 3));
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Whether `entry` is fresh at `now` for this call: younger than its shelf
   * life (the call's `staleAfter`, else the function's, possibly read from the
   * value) and than the call's `maxAge`, and not stamped in the future beyond
   * {@link CLOCK_SKEW_TOLERANCE_MS}.
   */
  private isFresh(environment: Environment, call: CallSettings, entry: StoredEntry, now: number): boolean {
    const age = now - entry.computedAt;
    if (age < -CLOCK_SKEW_TOLERANCE_MS || age > call.maxAgeMs) return false;
    return age <= (call.staleAfterMs ?? this.shelfLifeOf(environment.options, entry.value));
  }

  private shelfLifeOf(options: ResolvedOptions, value: unknown): number {
    if (!options.shelfLife) return options.staleAfterMs;
    const duration = options.shelfLife(value);
    try {
      return parseDuration(duration);
    } catch (error) {
      throw new InvalidOptionError('staleAfter', `the function given as staleAfter returned ${String(duration)}: ${(error as Error).message.replace(/^cachier: /, '')}`);
    }
  }

  /**
   * Runs a core operation; when the backend fails, warns once and answers
   * {@link UNAVAILABLE} so the call goes on without the cache (or rethrows
   * under `strict`). A value that cannot be stored is always only a warning.
   */
  private *tolerate<T>(
    environment: Environment,
    what: 'read' | 'mark' | 'wait' | 'write',
    step: (ops: Operations) => T | PromiseLike<T>,
  ): Generator<Step, T | typeof UNAVAILABLE, unknown> {
    try {
      return yield* perform(step);
    } catch (error) {
      if (!(error instanceof CacheWriteError) && environment.options.strict) throw error;
      if (error instanceof EntryTooLargeError) environment.metrics.refusedBySize++;
      const message = error instanceof CachierError ? error.message.replace(/^cachier: /, '') : String((error as Error)?.message ?? error);
      this.warnOnce(
        error instanceof CacheWriteError ? message : `the ${environment.core.backend} cache could not ${what}, so the call went on without it: ${message}`,
        error instanceof CacheWriteError ? 'CACHIER_NOT_STORED' : 'CACHIER_BACKEND_FAILED',
        // The underlying failure, not the operation it interrupted: one outage, one warning.
        String((error as Error)?.cause instanceof Error ? ((error as Error).cause as Error).message : message),
      );
      return UNAVAILABLE;
    }
  }

  /**
   * Warns the first time a kind of problem occurs; repeats go to the debug
   * log. A kind is the warning's code and its cause's text without the words
   * that hold digits (sizes, ports, timings, temp-file names, random ids), so
   * a backend that stays down warns once, not once per call or per operation.
   */
  private warnOnce(message: string, code: string, cause = message): void {
    const kind = `${code}:${cause.replace(/[\p{L}_-]*\d[\p{L}\d_-]*/gu, '#')}`;
    if (this.warned.has(kind)) {
      this.log.debug(message);
      return;
    }
    this.warned.add(kind);
    this.log.warn(message, code);
  }

  private trace(call: CallSettings, key: string, decision: string): void {
    if (call.debug) console.error(`cachier ${this.id}: key ${key.slice(0, 10)}: ${decision}`);
    else if (this.log.debugEnabled) this.log.debug(`key ${key.slice(0, 10)}: ${decision}`);
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
    this.inflight.clear();
    for (const computeHere of [...this.joiners]) computeHere();
    return this.resolve().core.clearBeingCalculated();
  }
}
