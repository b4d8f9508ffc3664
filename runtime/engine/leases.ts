import type { CacheCore, CoreLog } from '../core.js';

/**
 * Renews the lease of the mark `token` holds on `key` every third of
 * `leaseMs` while a computation runs, so a computation may outlive its lease
 * while a crashed caller's mark still expires; answers a function that stops.
 * A failed renewal is only logged: the next one may succeed, and the worst
 * case is another caller computing the key too.
 */
export function renewWhileComputing(core: CacheCore, key: string, token: string, settings: { leaseMs: number; log: CoreLog }): () => void {
  const timer = setInterval(
    () => {
      Promise.resolve()
        .then(() => core.renew(key, token))
        .catch((error: unknown) => settings.log.debug(`could not renew the lease of ${key}: ${String(error)}`));
    },
    Math.max(10, settings.leaseMs / 3),
  );
  timer.unref();
  return () => clearInterval(timer);
}
