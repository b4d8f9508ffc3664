/**
 * The engine: what a cached function does with each call.
 *
 * - `function-cache.ts`: one wrapped function's cache: settings, keys, calls in flight, controls;
 * - `call-flow.ts`: a call's flow: read, decide, claim or wait, compute, store;
 * - `freshness.ts`: the pure freshness decision; `entry-freshness.ts` applies it to an entry;
 * - `inflight.ts`: computations in flight in this process and their waiters;
 * - `leases.ts`: renewing a being-calculated mark while computing;
 * - `grace-backoff.ts`: keys not recomputed for a while after a failure within `grace`;
 * - `deadlines.ts`: `timeout` and `hardTimeout` on what a call waits for;
 * - `reentry.ts`: a function waiting for its own computation;
 * - `observer.ts`: counters, traces and warnings, apart from the policy;
 * - `context.ts`, `call-options.ts`: a call's context and its per-call settings.
 */
export { FunctionCache, type CacheInfo } from './function-cache.js';
export { NO_OVERRIDES, resolveCallOptions, type CallOptions, type CallSettings } from './call-options.js';
