import type { WarningCode } from '../warnings.js';
import type { CoreLog } from '../core.js';
import { CachierError, CacheWriteError, EntryTooLargeError } from '../errors.js';
import { UNCOUNTED, type BackendState, type FunctionMetrics } from '../metrics.js';
import type { CallContext } from './context.js';
import type { Freshness } from './freshness.js';

/** The text of an error, without cachier's prefix. */
export function messageOf(error: unknown): string {
  if (error instanceof CachierError) return error.message.replace(/^cachier: /, '');
  return String((error as Error)?.message ?? error);
}

const STALE_ACTIONS: Readonly<Record<Exclude<Freshness, 'fresh'>, string>> = {
  refresh: 'served, refreshing in the background',
  grace: 'served within grace: recomputing it failed a moment ago',
  recompute: 'recomputing',
};

/** How a wait for another caller's computation ended. */
export type WaitEnd = 'received' | 'timed out' | 'nothing fresh' | 'released';

const WAIT_ENDS: Readonly<Record<WaitEnd, string>> = {
  received: 'received the value computed by the other caller',
  'timed out': 'waitForCalcTimeout passed: computing here',
  'nothing fresh': 'no fresh value after waiting: computing here',
  released: 'stopped waiting for the call in flight: computing here',
};

/**
 * Hears what the call flow decides and does, and turns it into counters,
 * latencies, debug traces (`NODE_DEBUG=cachier` or a call's `debug`) and
 * warnings (each kind once): the policy code states what happened and never
 * updates a counter or formats a message itself.
 */
export class Observer {
  /** The figures calls are counted in: the wrapper's, or nowhere with `metrics: false`. */
  metrics: FunctionMetrics = UNCOUNTED;
  private readonly warned = new Set<string>();

  constructor(
    readonly functionId: string,
    readonly log: CoreLog,
  ) {}

  hit(context: CallContext, ageMs: number): void {
    this.metrics.hits++;
    if (context.startedAt !== undefined) this.metrics.record('hit', performance.now() - context.startedAt);
    // Only when traced: formatting the message would cost a hit more than the rest of it.
    if (context.settings.debug || this.log.debugEnabled) this.trace(context, `hit (computed ${ageMs}ms ago)`);
  }

  miss(context: CallContext): void {
    this.metrics.misses++;
    this.trace(context, 'miss');
  }

  stale(context: CallContext, ageMs: number, freshness: Exclude<Freshness, 'fresh'>): void {
    this.metrics.staleHits++;
    if (freshness === 'grace') this.metrics.servedStale++;
    this.trace(context, `stale (computed ${ageMs}ms ago): ${STALE_ACTIONS[freshness]}`);
  }

  /** The call waits for a computation of its key: one in flight in this process (`joined`), or another caller's. */
  waiting(context: CallContext, joined: boolean): void {
    this.metrics.waits++;
    this.trace(context, joined ? 'joins the call already in flight in this process' : 'another caller is computing it: waiting');
  }

  waitEnded(context: CallContext, how: WaitEnd): void {
    if (how === 'timed out') this.metrics.waitTimeouts++;
    this.trace(context, WAIT_ENDS[how]);
  }

  computing(): void {
    this.metrics.computations++;
  }

  computed(milliseconds: number): void {
    this.metrics.record('computation', milliseconds);
  }

  /** A store removed `count` least recently used entries to keep the cache within `maxEntries` or `maxBytes`. */
  evicted(count: number): void {
    if (count <= 0) return;
    this.metrics.evictions += count;
    if (this.log.debugEnabled) this.log.debug(`evicted ${count} least recently used ${count === 1 ? 'entry' : 'entries'} (bounds)`);
  }

  /** A decision worth a debug line and no counter. */
  trace(context: CallContext, decision: string): void {
    if (context.settings.debug) console.error(`cachier ${this.functionId}: key ${context.key.slice(0, 10)}: ${decision}`);
    else if (this.log.debugEnabled) this.log.debug(`key ${context.key.slice(0, 10)}: ${decision}`);
  }

  /** A core operation failed; the call goes on without the cache. A value refused for its size or form is only not stored. */
  backendFailed(what: 'read' | 'mark' | 'wait' | 'write', backend: string, error: unknown): void {
    if (error instanceof EntryTooLargeError) this.metrics.refusedBySize++;
    const message = messageOf(error);
    if (error instanceof CacheWriteError) {
      this.warnOnce(message, 'CACHIER_NOT_STORED');
      return;
    }
    this.metrics.backendFailures++;
    // The underlying failure, not the operation it interrupted: one outage, one warning.
    const cause = (error as Error)?.cause instanceof Error ? ((error as Error).cause as Error).message : message;
    this.warnOnce(`the ${backend} cache could not ${what}, so the call went on without it: ${message}`, 'CACHIER_BACKEND_FAILED', cause);
  }

  /**
   * Where a guard around the core (deadline, circuit breaker) reports the
   * backend's state, shown as `backendState` in `cacheInfo()`.
   */
  backendStateChanged(state: BackendState): void {
    this.metrics.backendState = state;
  }

  /** Recomputing a stale entry failed and the entry, still within `grace`, was served instead. */
  servedStale(context: CallContext, ageMs: number, error: unknown, backoffMs: number): void {
    this.metrics.servedStale++;
    this.trace(context, `recomputing failed: served the stale value within grace; retried in ${backoffMs}ms`);
    this.warnOnce(
      `recomputing a stale entry failed (${messageOf(error)}), so its value computed ${ageMs}ms ago was served ` +
        `within grace; the function is not called again for this key for ${backoffMs}ms (graceBackoff)`,
      'CACHIER_SERVED_STALE',
      messageOf(error),
    );
  }

  /** The soft `timeout` passed with a stale value at hand: the call returned it, the computation goes on. */
  servedStaleAfterTimeout(context: CallContext, timeoutMs: number): void {
    this.metrics.servedStale++;
    this.trace(context, `not computed within timeout (${timeoutMs}ms): served the stale value, the computation goes on`);
  }

  computeTimedOut(context: CallContext, hardTimeoutMs: number): void {
    this.metrics.computeTimeouts++;
    this.trace(context, `no value within hardTimeout (${hardTimeoutMs}ms): rejected, the computation goes on`);
  }

  /**
   * Warns the first time a kind of problem occurs; repeats go to the debug
   * log. A kind is the warning's code and its cause's text without the words
   * that hold digits (sizes, ports, timings, temp-file names, random ids), so
   * a backend that stays down warns once, not once per call or per operation.
   */
  warnOnce(message: string, code: WarningCode, cause = message): void {
    const kind = `${code}:${cause.replace(/[\p{L}_-]*\d[\p{L}\d_-]*/gu, '#')}`;
    if (this.warned.has(kind)) {
      this.log.debug(message);
      return;
    }
    this.warned.add(kind);
    this.log.warn(message, code);
  }
}
