/**
 * The `code` of every `CachierWarning` cachier emits (`process.on('warning')`
 * receives them); the same fault has the same code on every backend.
 *
 * - `CACHIER_BACKEND_FAILED`: the backend failed (unreachable, timed out, unwritable); the call went on without the cache.
 * - `CACHIER_BACKEND_DOWN`: the circuit breaker opened: calls skip the backend for a growing cool-down (with the cause).
 * - `CACHIER_BACKEND_BACK`: the backend answered again, with how long it was down.
 * - `CACHIER_NOT_STORED`: a result was returned but not stored (too large, or the write failed).
 * - `CACHIER_UNREADABLE_ENTRY`: a stored entry could not be read (damaged, truncated, not signed); it counts as a miss and is replaced.
 * - `CACHIER_REFRESH_FAILED`: a `nextTime` background refresh failed; the stale entry stays.
 * - `CACHIER_SERVED_STALE`: recomputing a stale entry failed, and the stale value was served within `grace`.
 * - `CACHIER_CLEANUP_FAILED`: a `cleanupStale` background cleanup failed.
 * - `CACHIER_UNDECLARED_ASYNC`: a function not declared `async` returned a promise.
 * - `CACHIER_LEASE_EXCEEDED`: a key's computer on this host, alive, had not renewed its mark for 10 leases;
 *   this caller took the key over, so it is computed twice (raise `lease`).
 * - `CACHIER_LOADER_ORDER`: the Node hook (`cachier/register`) ran after a loader that strips comments (tsx): tagged functions run uncached.
 */
export type WarningCode =
  | 'CACHIER_BACKEND_FAILED'
  | 'CACHIER_BACKEND_DOWN'
  | 'CACHIER_BACKEND_BACK'
  | 'CACHIER_NOT_STORED'
  | 'CACHIER_UNREADABLE_ENTRY'
  | 'CACHIER_REFRESH_FAILED'
  | 'CACHIER_SERVED_STALE'
  | 'CACHIER_CLEANUP_FAILED'
  | 'CACHIER_UNDECLARED_ASYNC'
  | 'CACHIER_LEASE_EXCEEDED'
  | 'CACHIER_LOADER_ORDER';
