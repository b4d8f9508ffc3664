import type { CacheCore, CoreFactory, CoreSettings } from '../core.js';
import type { BackendDescriptor } from './descriptor.js';

// Factories of the backends whose core was imported, so that later cores are built at once.
const loaded = new WeakMap<BackendDescriptor, CoreFactory>();

/**
 * The core of `backend` for one function. A backend whose core is imported
 * on first use answers, until it is, a core whose operations wait for the
 * import (such backends serve async functions only, so nothing needs an
 * answer at once).
 */
export function coreOf(backend: BackendDescriptor, settings: CoreSettings): CacheCore {
  const known = loaded.get(backend);
  if (known) return known(settings);
  const factory = backend.loadCore();
  if (typeof factory === 'function') {
    loaded.set(backend, factory);
    return factory(settings);
  }
  const core = factory.then((ready) => {
    loaded.set(backend, ready);
    return ready(settings);
  });
  return {
    backend: backend.name,
    sync: undefined,
    get: async (key) => (await core).get(key),
    claim: async (key) => (await core).claim(key),
    renew: async (key, token) => (await core).renew(key, token),
    store: async (key, entry, token) => (await core).store(key, entry, token),
    release: async (key, token) => (await core).release(key, token),
    waitForEntry: async (key, options) => (await core).waitForEntry(key, options),
    clear: async () => (await core).clear(),
    clearBeingCalculated: async () => (await core).clearBeingCalculated(),
    count: async () => (await core).count(),
    delete: async (key) => (await core).delete(key),
    deleteStale: async (isStale) => (await core).deleteStale(isStale),
    totalBytes: async () => (await core).totalBytes(),
  };
}
