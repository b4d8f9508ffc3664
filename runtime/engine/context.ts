import type { CacheCore, StoredEntry } from '../core.js';
import type { FunctionMetrics } from '../metrics.js';
import type { ResolvedOptions } from '../options.js';
import type { CallSettings } from './call-options.js';

/** A function's settings and core, as resolved for the global defaults in force. */
export interface Environment {
  readonly options: ResolvedOptions;
  readonly core: CacheCore;
  readonly metrics: FunctionMetrics;
}

/** Everything one call carries through the flow: made once per call, passed whole. */
export interface CallContext {
  readonly environment: Environment;
  readonly settings: CallSettings;
  readonly key: string;
  readonly thisArg: unknown;
  readonly args: unknown[];
  /** When the call began (`performance.now()`), for a call whose hit latency is sampled; else undefined. */
  readonly startedAt: number | undefined;
  /**
   * Set once a backend operation of this call fails: the call then computes
   * and returns without touching the backend again (no claim, store or wait
   * against a server that just failed).
   */
  backendFailed: boolean;
  /** The stale entry this call found, if any: served within `grace` or after `timeout`. */
  stale: StoredEntry | undefined;
}
