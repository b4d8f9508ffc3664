import type { CacheCore, CoreFactory, CoreLog, CoreSettings } from '../core.js';
import { InvalidOptionError } from '../errors.js';
import type { ResolvedOptions } from '../options/types.js';
import type { BackendDescriptor } from './descriptor.js';
import { backendNamed } from './registry.js';
import { syncCores } from './sync-cores.js';

/**
 * The core of one function (`functionId`, `sourceHash`) on the backend its
 * resolved options name. `shelfLifeOf` answers a value's shelf life when
 * `staleAfter` is a function of the value; `onEvicted` hears evictions made
 * after a store answered.
 */
export function coreFor(
  options: ResolvedOptions,
  identity: { readonly functionId: string; readonly sourceHash: string },
  log: CoreLog,
  shelfLifeOf?: (value: unknown) => number,
  onEvicted?: (count: number) => void,
): CacheCore {
  const backend = backendNamed(options.backend);
  if (!backend) throw new InvalidOptionError('backend', `backend '${options.backend}' is not available in this build`);
  return coreOf(backend, {
    ...identity,
    cacheDir: options.cacheDir,
    reload: options.reload,
    separateFiles: options.separateFiles,
    shared: options.shared,
    mongetter: options.mongetter,
    connection: backend.connection && options.connections[backend.connection.option],
    staleAfterMs: options.staleAfterMs,
    ...(shelfLifeOf && { shelfLifeOf }),
    entrySizeLimit: options.entrySizeLimit,
    ...(options.bounds && { bounds: options.bounds }),
    ...(options.bounds && onEvicted && { onEvicted }),
    leaseMs: options.leaseMs,
    clock: options.clock,
    policy: { staleAfterMs: options.staleAfterMs, nextTime: options.nextTime },
    log,
  });
}

// Factories of the backends whose core was imported, so that later cores are built at once.
const loaded = new WeakMap<BackendDescriptor, CoreFactory>();

/**
 * The core of `backend` for one function. A backend whose core is imported
 * on first use answers, until it is, a core whose operations wait for the
 * import (such backends serve async functions only, so nothing needs an
 * answer at once; nor may they use `rawKeys` or `readAtOnce`, which this
 * stand-in does not carry).
 */
function coreOf(backend: BackendDescriptor, settings: CoreSettings): CacheCore {
  const known = loaded.get(backend) ?? syncCores[backend.name];
  if (known) return known(settings);
  if (!backend.loadCore) throw new InvalidOptionError('backend', `backend '${backend.name}' has no core in this build`);
  const core = backend.loadCore().then((ready) => {
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
