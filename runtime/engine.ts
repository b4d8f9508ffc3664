import type { CacheCore, ClaimResult, CoreLog, StoredEntry } from './core.js';
import { currentDefaultsVersion, getDefaults, isCachingEnabled } from './config.js';
import { coreFactories } from './cores/index.js';
import { parseDuration, type Duration } from './duration.js';
import { CacheWriteError, CachierError, InvalidOptionError } from './errors.js';
import { canonicalArguments, canonicalHashResult, digestKey } from './keys.js';
import { logFor } from './log.js';
import { resolveOptions, type AnyFunction, type CachierOptions, type ResolvedOptions } from './options.js';
import { drive, isThenable, perform, type Operations, type Plan, type Step } from './plan.js';

/** Per-call overrides, given through `fn.withOptions(...)`; they never change the function's signature. */
export interface CallOptions {
  /** Call the function directly: read nothing, store nothing. */
  skipCache?: boolean;
  /** Compute even if a fresh entry exists, and store the new value. */
  overwriteCache?: boolean;
  /** For this call only, treat entries older than this as stale and recompute them now. */
  maxAge?: Duration;
}

/** What a cache holds and how it has been used since this process started. */
export interface CacheInfo {
  /** The function's cache id. */
  readonly id: string;
  /** The source hash the entries belong to. */
  readonly sourceHash: string;
  /** The backend in use. */
  readonly backend: string;
  /** Entries stored for this function (this source hash), in every process. */
  readonly entries: number;
  /** Calls answered by a fresh entry, in this process. */
  readonly hits: number;
  /** Calls that found no entry, in this process. */
  readonly misses: number;
  /** Calls that found a stale entry (refreshed now, or served with `nextTime`), in this process. */
  readonly staleHits: number;
  /** Calls that waited for another caller's computation of the same key, in this process. */
  readonly waits: number;
}

interface Environment {
  readonly options: ResolvedOptions;
  readonly core: CacheCore;
}

type BusyPolicy = 'wait' | 'skip';

/** What a failed core operation answers instead. */
const UNAVAILABLE = Symbol('unavailable');

/** How many times a call waits for other computers of its key before computing it itself. */
const WAIT_ROUNDS = 3;

/**
 * The cache of one wrapped function: resolves its settings and core on first
 * use, and runs each call's plan: fresh hit, miss, stale (recompute, or serve
 * and refresh with `nextTime`), wait for another computer, store.
 */
export class FunctionCache {
  readonly id: string;
  readonly sourceHash: string;
  readonly log: CoreLog;
  private readonly stats = { hits: 0, misses: 0, staleHits: 0, waits: 0 };
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly refreshing = new Set<string>();
  private readonly warned = new Set<string>();
  private environment: Environment | undefined;
  private environmentVersion = -1;
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
  }

  /** Settings and core, re-resolved when the global defaults change. */
  resolve(): Environment {
    const version = currentDefaultsVersion();
    if (this.environment && this.environmentVersion === version) return this.environment;
    const options = resolveOptions(this.options, getDefaults());
    const factory = coreFactories[options.backend];
    if (!factory) throw new InvalidOptionError('backend', `backend '${options.backend}' is not available in this build`);
    const core = factory({
      functionId: this.id,
      sourceHash: this.sourceHash,
      cacheDir: options.cacheDir,
      reload: options.reload,
      separateFiles: options.separateFiles,
      mongetter: options.mongetter,
      connection: options.backend === 'redis' || options.backend === 'postgres' || options.backend === 's3' ? options[options.backend] : undefined,
      staleAfterMs: options.staleAfterMs,
      entrySizeLimit: options.entrySizeLimit,
      leaseMs: options.leaseMs,
      clock: options.clock,
      log: this.log,
    });
    this.environment = { options, core };
    this.environmentVersion = version;
    return this.environment;
  }

  /** The cache key of a call, in the form the core takes. */
  keyOf(environment: Environment, thisArg: unknown, args: unknown[]): string {
    const hash = this.options.hash as ((args: unknown[], thisArg: unknown) => unknown) | undefined;
    const canonical = hash ? canonicalHashResult(hash(args, thisArg)) : canonicalArguments(args);
    return environment.core.rawKeys ? canonical : digestKey(canonical);
  }

  /** Runs one call through the cache; answers a promise when anything along the way was asynchronous. */
  call(thisArg: unknown, args: unknown[], overrides: CallOptions): unknown {
    if (!isCachingEnabled() || overrides.skipCache) return this.fn.apply(thisArg, args);
    const environment = this.resolve();
    const key = this.keyOf(environment, thisArg, args);
    // Calls with their own maxAge ask a different question, so they neither join nor are joined.
    const shareable = overrides.maxAge === undefined;
    if (shareable && !overrides.overwriteCache) {
      const pending = this.inflight.get(key);
      if (pending) {
        this.stats.waits++;
        this.trace(key, 'joins the call already in flight in this process');
        return pending;
      }
    }
    const result = drive(this.lookup(environment, key, thisArg, args, overrides), this.operationsFor(environment));
    if (shareable && result instanceof Promise) {
      this.inflight.set(key, result);
      const forget = (): void => {
        if (this.inflight.get(key) === result) this.inflight.delete(key);
      };
      result.then(forget, forget);
    }
    return result;
  }

  /** Stores `value` for `args` as if it had just been computed. */
  precache(args: unknown[], value: unknown): unknown {
    const environment = this.resolve();
    return environment.core.store(this.keyOf(environment, undefined, args), { value, computedAt: environment.options.clock() });
  }

  /** Usage figures and the number of stored entries. */
  async info(): Promise<CacheInfo> {
    const environment = this.resolve();
    return {
      id: this.id,
      sourceHash: this.sourceHash,
      backend: environment.core.backend,
      entries: await environment.core.count(),
      ...this.stats,
    };
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
    key: string,
    thisArg: unknown,
    args: unknown[],
    overrides: CallOptions,
  ): Plan<unknown> {
    const { options } = environment;
    const callMaxAgeMs = overrides.maxAge === undefined ? Infinity : parseDuration(overrides.maxAge);
    const maxAgeMs = Math.min(options.staleAfterMs, callMaxAgeMs);
    if (!overrides.overwriteCache) {
      const entry = yield* this.tolerate(environment, 'read', (ops) => ops.get(key));
      if (entry !== UNAVAILABLE && entry !== undefined) {
        const age = options.clock() - entry.computedAt;
        if (age <= maxAgeMs) {
          this.stats.hits++;
          this.trace(key, `hit (computed ${age}ms ago)`);
          return entry.value;
        }
        this.stats.staleHits++;
        if (options.nextTime && age <= callMaxAgeMs) {
          this.trace(key, `stale (computed ${age}ms ago): served, refreshing in the background`);
          this.refreshInBackground(environment, key, thisArg, args);
          return entry.value;
        }
        this.trace(key, `stale (computed ${age}ms ago): recomputing`);
      } else if (entry === undefined) {
        this.stats.misses++;
        this.trace(key, 'miss');
      }
    }
    return yield* this.compute(environment, key, thisArg, args, 'wait', overrides.overwriteCache ? undefined : maxAgeMs);
  }

  /**
   * Computes a key once: claims it, or waits for whoever holds it, then
   * computes and stores. An entry younger than `acceptWithinMs` found right
   * after claiming is served instead (undefined: always compute).
   */
  private *compute(
    environment: Environment,
    key: string,
    thisArg: unknown,
    args: unknown[],
    whenBusy: BusyPolicy,
    acceptWithinMs: number | undefined,
  ): Plan<unknown> {
    const { options } = environment;
    let claim: ClaimResult | typeof UNAVAILABLE = yield* this.tolerate(environment, 'mark', (ops) => ops.claim(key));
    if (claim !== UNAVAILABLE && !claim.claimed) {
      if (whenBusy === 'skip') {
        this.trace(key, 'another caller is already refreshing it');
        return undefined;
      }
      this.stats.waits++;
      this.trace(key, 'another caller is computing it: waiting');
      const deadline = options.waitForCalcTimeoutMs > 0 ? Date.now() + options.waitForCalcTimeoutMs : Infinity;
      // When the computer dies, another waiter may take the key over first: wait
      // for that one too (a few rounds at most, within the same timeout).
      for (let round = 0; round < WAIT_ROUNDS && claim !== UNAVAILABLE && !claim.claimed && Date.now() < deadline; round++) {
        const timeoutMs = deadline === Infinity ? 0 : Math.max(1, deadline - Date.now());
        const awaited = yield* this.tolerate(environment, 'wait', (ops) => ops.waitForEntry(key, { timeoutMs }));
        if (awaited !== UNAVAILABLE && awaited !== undefined && this.isFresh(environment, awaited, options.staleAfterMs)) {
          this.trace(key, 'received the value computed by the other caller');
          return awaited.value;
        }
        claim = yield* this.tolerate(environment, 'mark', (ops) => ops.claim(key));
      }
      this.trace(key, 'no fresh value after waiting: computing here');
    }
    const token = claim !== UNAVAILABLE && claim.claimed ? claim.token : undefined;
    const current = claim !== UNAVAILABLE && claim.claimed ? claim.current : undefined;
    if (current && acceptWithinMs !== undefined && this.isFresh(environment, current, acceptWithinMs)) {
      // Another process stored the key between this call's read and its claim.
      this.trace(key, 'stored by another caller meanwhile');
      yield* this.release(environment, key, token);
      return current.value;
    }
    const stopRenewing = token === undefined ? undefined : this.renewWhileComputing(environment, key, token);
    let value: unknown;
    try {
      value = yield* perform(() => this.invoke(thisArg, args));
    } catch (error) {
      yield* this.release(environment, key, token);
      throw error;
    } finally {
      stopRenewing?.();
    }
    if (value === undefined && !options.allowUndefined) {
      this.trace(key, 'returned undefined: not stored (set allowUndefined to cache it)');
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

  private invoke(thisArg: unknown, args: unknown[]): unknown {
    const result = this.fn.apply(thisArg, args);
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

  private refreshInBackground(environment: Environment, key: string, thisArg: unknown, args: unknown[]): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const finished = (): void => {
      this.refreshing.delete(key);
    };
    const refresh = drive(
      this.compute(environment, key, thisArg, args, 'skip', environment.options.staleAfterMs),
      this.operationsFor(environment),
    );
    if (isThenable(refresh)) {
      refresh.then(finished, (error: unknown) => {
        finished();
        this.warnOnce(`background refresh failed: ${(error as Error)?.message ?? String(error)}`, 'CACHIER_REFRESH_FAILED');
      });
    } else {
      finished();
    }
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

  /** Whether `entry` was computed at most `withinMs` ago. */
  private isFresh(environment: Environment, entry: StoredEntry, withinMs: number): boolean {
    return environment.options.clock() - entry.computedAt <= withinMs;
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
      const message = error instanceof CachierError ? error.message.replace(/^cachier: /, '') : String((error as Error)?.message ?? error);
      this.warnOnce(
        error instanceof CacheWriteError ? message : `the ${environment.core.backend} cache could not ${what}, so the call went on without it: ${message}`,
        error instanceof CacheWriteError ? 'CACHIER_NOT_STORED' : 'CACHIER_BACKEND_FAILED',
      );
      return UNAVAILABLE;
    }
  }

  /**
   * Warns the first time a kind of problem occurs; repeats go to the debug
   * log. Numbers (sizes, ports, timings) do not make a problem new, so a
   * backend that stays down warns once, not once per call.
   */
  private warnOnce(message: string, code: string): void {
    const kind = `${code}:${message.replace(/\d+/g, '#')}`;
    if (this.warned.has(kind)) {
      this.log.debug(message);
      return;
    }
    this.warned.add(kind);
    this.log.warn(message, code);
  }

  private trace(key: string, decision: string): void {
    if (this.log.debugEnabled) this.log.debug(`key ${key.slice(0, 10)}: ${decision}`);
  }

  /** Removes this function's entries. */
  clear(): unknown {
    return this.resolve().core.clear();
  }

  /** Removes this function's being-calculated marks. */
  clearBeingCalculated(): unknown {
    return this.resolve().core.clearBeingCalculated();
  }
}
