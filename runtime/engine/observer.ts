import { channel } from 'node:diagnostics_channel';
import type { WarningCode } from '../warnings.js';
import type { CoreLog } from '../core.js';
import { CachierError, CacheWriteError, EntryTooLargeError } from '../errors.js';
import { UNCOUNTED, type BackendState, type FunctionMetrics } from '../metrics.js';
import {
  cachierChannels,
  type CachierBackendError,
  type CachierCallEvent,
  type CachierComputationFailed,
  type CachierComputationFinished,
  type CachierComputationStarted,
  type CachierEviction,
  type CachierHit,
  type CachierMiss,
  type CachierStaleHit,
  type CachierWait,
} from '../events.js';
import type { CallContext } from './context.js';
import type { Freshness } from './freshness.js';

// Held here for the life of the process: a channel nobody references may be collected along with its subscribers' link.
const hitChannel = channel(cachierChannels.hit);
const missChannel = channel(cachierChannels.miss);
const staleHitChannel = channel(cachierChannels.staleHit);
const computationStartedChannel = channel(cachierChannels.computationStarted);
const computationFinishedChannel = channel(cachierChannels.computationFinished);
const computationFailedChannel = channel(cachierChannels.computationFailed);
const waitChannel = channel(cachierChannels.wait);
const evictionChannel = channel(cachierChannels.eviction);
const backendErrorChannel = channel(cachierChannels.backendError);

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
export type WaitEnd = CachierWait['outcome'];

const WAIT_ENDS: Readonly<Record<WaitEnd, string>> = {
  received: 'received the value computed by the other caller',
  'timed out': 'waitForCalcTimeout passed: computing here',
  'nothing fresh': 'no fresh value after waiting: computing here',
  released: 'stopped waiting for the call in flight: computing here',
};

/**
 * Hears what the call flow decides and does, and turns it into counters,
 * latencies, debug traces (`NODE_DEBUG=cachier` or a call's `debug`),
 * warnings (each kind once) and `diagnostics_channel` messages (see
 * `events.ts`, built only for a channel with subscribers): the policy code
 * states what happened and never updates a counter or formats a message itself.
 */
export class Observer {
  /** The figures calls are counted in: the wrapper's, or nowhere with `metrics: false`. */
  metrics: FunctionMetrics = UNCOUNTED;
  /** The backend in use, for messages about no call in particular. */
  backend = '';
  private readonly warned = new Set<string>();
  /** When each wait under way began, for its `cachier:wait` message; kept only while that channel has subscribers. */
  private readonly waitsStarted = new WeakMap<CallContext, { readonly at: number; readonly joined: boolean }>();

  constructor(
    readonly functionId: string,
    readonly log: CoreLog,
  ) {}

  hit(context: CallContext, ageMs: number): void {
    this.metrics.hits++;
    if (context.startedAt !== undefined) this.metrics.record('hit', performance.now() - context.startedAt);
    // Only when traced: formatting the message would cost a hit more than the rest of it.
    if (context.settings.debug || this.log.debugEnabled) this.trace(context, `hit (computed ${ageMs}ms ago)`);
    if (hitChannel.hasSubscribers) {
      // Written out rather than spread from aboutCall(): a hit is the path where one object more shows.
      hitChannel.publish({ id: this.functionId, backend: context.environment.core.backend, key: context.key, ageMs } satisfies CachierHit);
    }
  }

  miss(context: CallContext): void {
    this.metrics.misses++;
    this.trace(context, 'miss');
    if (missChannel.hasSubscribers) missChannel.publish(this.aboutCall(context) satisfies CachierMiss);
  }

  stale(context: CallContext, ageMs: number, freshness: Exclude<Freshness, 'fresh'>): void {
    this.metrics.staleHits++;
    if (freshness === 'grace') this.metrics.servedStale++;
    this.trace(context, `stale (computed ${ageMs}ms ago): ${STALE_ACTIONS[freshness]}`);
    if (staleHitChannel.hasSubscribers)
      staleHitChannel.publish({ ...this.aboutCall(context), ageMs, action: freshness } satisfies CachierStaleHit);
  }

  /** The call waits for a computation of its key: one in flight in this process (`joined`), or another caller's. */
  waiting(context: CallContext, joined: boolean): void {
    this.metrics.waits++;
    this.trace(context, joined ? 'joins the call already in flight in this process' : 'another caller is computing it: waiting');
    if (waitChannel.hasSubscribers) this.waitsStarted.set(context, { at: performance.now(), joined });
  }

  waitEnded(context: CallContext, how: WaitEnd): void {
    if (how === 'timed out') this.metrics.waitTimeouts++;
    this.trace(context, WAIT_ENDS[how]);
    const started = this.waitsStarted.get(context);
    if (started === undefined) return;
    this.waitsStarted.delete(context);
    if (waitChannel.hasSubscribers) {
      const message: CachierWait = {
        ...this.aboutCall(context),
        joined: started.joined,
        outcome: how,
        durationMs: performance.now() - started.at,
      };
      waitChannel.publish(message);
    }
  }

  computing(context: CallContext): void {
    this.metrics.computations++;
    if (computationStartedChannel.hasSubscribers)
      computationStartedChannel.publish(this.aboutCall(context) satisfies CachierComputationStarted);
  }

  computed(context: CallContext, milliseconds: number): void {
    this.metrics.record('computation', milliseconds);
    if (computationFinishedChannel.hasSubscribers) {
      computationFinishedChannel.publish({ ...this.aboutCall(context), durationMs: milliseconds } satisfies CachierComputationFinished);
    }
  }

  /** The function threw or rejected; the flow goes on to serve a stale value within grace, or to rethrow. */
  computeFailed(context: CallContext, milliseconds: number, error: unknown): void {
    if (computationFailedChannel.hasSubscribers) {
      computationFailedChannel.publish({ ...this.aboutCall(context), durationMs: milliseconds, error } satisfies CachierComputationFailed);
    }
  }

  private aboutCall(context: CallContext): CachierCallEvent {
    return { id: this.functionId, backend: context.environment.core.backend, key: context.key };
  }

  /** A store removed `count` least recently used entries to keep the cache within `maxEntries` or `maxBytes`. */
  evicted(count: number): void {
    if (count <= 0) return;
    this.metrics.evictions += count;
    if (evictionChannel.hasSubscribers)
      evictionChannel.publish({ id: this.functionId, backend: this.backend, count } satisfies CachierEviction);
    if (this.log.debugEnabled) this.log.debug(`evicted ${count} least recently used ${count === 1 ? 'entry' : 'entries'} (bounds)`);
  }

  /** A decision worth a debug line and no counter. */
  trace(context: CallContext, decision: string): void {
    if (context.settings.debug) console.error(`cachier ${this.functionId}: key ${context.key.slice(0, 10)}: ${decision}`);
    else if (this.log.debugEnabled) this.log.debug(`key ${context.key.slice(0, 10)}: ${decision}`);
  }

  /** A core operation failed; the call goes on without the cache. A value refused for its size or form is only not stored. */
  backendFailed(what: 'read' | 'mark' | 'wait' | 'write', backend: string, error: unknown, key?: string): void {
    if (error instanceof EntryTooLargeError) this.metrics.refusedBySize++;
    const message = messageOf(error);
    if (error instanceof CacheWriteError) {
      this.warnOnce(message, 'CACHIER_NOT_STORED');
      return;
    }
    this.metrics.backendFailures++;
    if (backendErrorChannel.hasSubscribers) {
      backendErrorChannel.publish({
        id: this.functionId,
        backend,
        ...(key === undefined ? {} : { key }),
        operation: what,
        error,
      } satisfies CachierBackendError);
    }
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
