import { READ_LATER, type CacheCore, type ClaimResult, type CoreLog, type StoredEntry } from '../../core.js';
import { digestKey } from '../../keys.js';
import type { InvalidationChannel, InvalidationFactory } from './invalidation.js';
import { LocalCopyStore, type LocalCopySettings } from './local-copies.js';

/** What {@link withLocalTier} needs besides the core. */
export interface LocalTierSettings extends LocalCopySettings {
  readonly functionId: string;
  readonly sourceHash: string;
  /** The backend's connection option, as given. */
  readonly connection: unknown;
  /** The backend's invalidation channel, loaded with its driver on first use. */
  readonly loadChannel: () => Promise<InvalidationFactory>;
  /** cachier's deadline on each operation of the channel (`backendTimeout`), in milliseconds. */
  readonly timeoutMs: number;
  readonly log: CoreLog;
}

/**
 * Puts a tier of this process's memory in front of a shared backend's core
 * (mongo, redis, postgres, s3): an entry read or stored is kept as a local
 * copy, and later reads of its key are answered from it, with no round trip,
 * while it is fresh and the backend's {@link InvalidationChannel} has not
 * reported a change. Every store, clear and delete of this process goes to
 * the backend first and is then announced on the channel, so the other
 * processes drop their copies. Wraps the guarded core: a local hit never
 * reaches the circuit breaker, so it is served while the backend is down.
 *
 * Like the memory backend, a hit answers the kept value itself, not a copy.
 * Keys come in canonical (`rawKeys`), so a hit hashes nothing; the core is
 * handed their digest, as it would be without the tier.
 */
export function withLocalTier(core: CacheCore, settings: LocalTierSettings): CacheCore {
  const copies = new LocalCopyStore(settings);
  let channel: InvalidationChannel | undefined;
  const loading = settings
    .loadChannel()
    .then((factory) => {
      channel = factory({ ...settings, copies });
      return channel;
    })
    .catch((error: unknown) => {
      settings.log.debug(`no local tier, the invalidation channel did not load: ${String(error)}`);
      return undefined;
    });

  /** Whether copies may be served and kept now: see {@link InvalidationChannel.ready}. */
  const ready = (): boolean | Promise<boolean> => (channel ? channel.ready() : loading.then((loaded) => loaded?.ready() ?? false));
  const keep = (key: string, backendKey: string, entry: StoredEntry | undefined, mark: number): void => {
    if (entry !== undefined && channel?.ready() === true) copies.keep(key, backendKey, entry, mark);
  };
  const announce = async (key: string | undefined): Promise<void> => {
    await (channel ?? (await loading))?.announce(key);
  };

  const readThrough = async (key: string, signal?: AbortSignal): Promise<StoredEntry | undefined> => {
    const mark = copies.mark();
    const backendKey = digestKey(key);
    const entry = await core.get(backendKey, signal);
    keep(key, backendKey, entry, mark);
    return entry;
  };

  return {
    ...core,
    // Copies are found by the canonical key: a hit hashes nothing. The backend gets the digest, as without the tier.
    rawKeys: true,
    readAtOnce: (key) => {
      if (channel?.ready() !== true) return READ_LATER;
      return copies.get(key) ?? READ_LATER;
    },
    get: (key, signal) => {
      const isReady = ready();
      if (isReady === true) return copies.get(key) ?? readThrough(key, signal);
      if (isReady === false) return readThrough(key, signal);
      return isReady.then((served) => (served && copies.get(key)) || readThrough(key, signal));
    },
    claim: async (key, signal): Promise<ClaimResult> => {
      const mark = copies.mark();
      const backendKey = digestKey(key);
      const result = await core.claim(backendKey, signal);
      if (result.claimed) keep(key, backendKey, result.current, mark);
      return result;
    },
    renew: (key, token, signal) => core.renew(digestKey(key), token, signal),
    release: (key, token, signal) => core.release(digestKey(key), token, signal),
    async store(key, entry, token, signal) {
      const backendKey = digestKey(key);
      copies.drop(backendKey);
      const mark = copies.mark();
      const evicted = await core.store(backendKey, entry, token, signal);
      await announce(backendKey);
      keep(key, backendKey, entry, mark);
      return evicted;
    },
    waitForEntry: async (key, options) => {
      const mark = copies.mark();
      const backendKey = digestKey(key);
      const entry = await core.waitForEntry(backendKey, options);
      keep(key, backendKey, entry, mark);
      return entry;
    },
    async clear() {
      copies.drop(undefined);
      await core.clear();
      await announce(undefined);
    },
    async delete(key) {
      const backendKey = digestKey(key);
      copies.drop(backendKey);
      const deleted = await core.delete(backendKey);
      await announce(backendKey);
      return deleted;
    },
  };
}
