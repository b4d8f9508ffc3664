import type { CoreLog } from '../../core.js';
import { lazyClient } from '../shared/connection.js';
import { PROCESS_ORIGIN, type InvalidationChannel, type InvalidationSettings, type LocalCopies } from '../shared/invalidation.js';
import { asRedisClient, type RedisClient, type RedisSubscriber } from './client.js';
import { versionPrefix } from './keys.js';

/** The connection a local tier subscribes with: a subscriber that also tells when it is (again) ready. */
interface TierSubscriber extends RedisSubscriber {
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  /** ioredis's socket, once connected: unreferenced so that listening never keeps a process alive. */
  readonly stream?: { unref?(): void };
}

/** An ioredis client, which tells when it has closed for good (`quit()`, `disconnect()`). */
interface EndingClient {
  on(event: 'end', listener: () => void): unknown;
}

/**
 * The local tiers of every function cached through one client: one
 * connection of their own (the client's `duplicate()`, apart from the one
 * that wakes waiters) subscribes to one channel per function and source hash,
 * `cachier:{F}:H:local`, whose messages are `<origin> <key>` (an empty key:
 * every entry). After the connection comes back from a loss, messages may
 * have been missed, so every copy is dropped; while it is down, copies are
 * served (a backend outage does not stop local hits).
 */
class RedisTiers {
  private readonly tiers = new Map<string, Set<{ copies: LocalCopies; subscribed: boolean }>>();
  private readonly subscriber: TierSubscriber;

  constructor(client: RedisClient, log: CoreLog) {
    this.subscriber = client.duplicate() as TierSubscriber;
    // The application closes its own client, not this one: close this one with it, or its reconnections keep the process alive.
    (client as Partial<EndingClient>).on?.('end', () => this.subscriber.disconnect());
    this.subscriber.on('error', (error) => log.debug(`local tier subscriber connection: ${error.message}`));
    let connectedBefore = false;
    this.subscriber.on('ready', () => {
      this.subscriber.stream?.unref?.();
      if (connectedBefore) for (const channel of this.tiers.keys()) this.resync(channel, log);
      connectedBefore = true;
    });
    this.subscriber.on('message', (channel, message) => {
      const tiers = this.tiers.get(channel);
      const space = message.indexOf(' ');
      if (!tiers || space < 0 || message.slice(0, space) === PROCESS_ORIGIN) return;
      const key = message.slice(space + 1);
      for (const tier of tiers) tier.copies.drop(key === '' ? undefined : key);
    });
  }

  /**
   * After a reconnection: drops every copy of the channel's tiers (messages
   * may have been missed), and again once the subscription is acknowledged,
   * since ioredis resubscribes only after telling it is ready: a copy kept in
   * between may have missed a message too.
   */
  private resync(channel: string, log: CoreLog): void {
    const dropAll = (): void => {
      for (const tier of this.tiers.get(channel) ?? []) tier.copies.drop(undefined);
    };
    dropAll();
    this.subscriber
      .subscribe(channel)
      .then(dropAll, (error: unknown) => log.debug(`could not subscribe again to ${channel}: ${String(error)}`));
  }

  /** Subscribes to `channel` for `copies`; answers whether copies may be kept yet (once the subscription is acknowledged). */
  join(channel: string, copies: LocalCopies, log: CoreLog): () => boolean {
    const tier = { copies, subscribed: false };
    let tiers = this.tiers.get(channel);
    if (!tiers) {
      tiers = new Set();
      this.tiers.set(channel, tiers);
    }
    tiers.add(tier);
    this.subscriber.subscribe(channel).then(
      () => (tier.subscribed = true),
      (error: unknown) => log.debug(`could not subscribe to ${channel}, no local copies are kept: ${String(error)}`),
    );
    return () => tier.subscribed;
  }
}

const tiersOfClient = new WeakMap<RedisClient, RedisTiers>();

/** The Redis invalidation channel of one function: pub/sub, delivered as fast as the server forwards it. */
export function createInvalidationChannel(settings: InvalidationSettings): InvalidationChannel {
  const channel = `${versionPrefix(settings.functionId, settings.sourceHash)}local`;
  const client = lazyClient(settings.connection, asRedisClient);
  let subscribed: (() => boolean) | undefined;
  const joining = client().then((redis) => {
    let tiers = tiersOfClient.get(redis);
    if (!tiers) {
      tiers = new RedisTiers(redis, settings.log);
      tiersOfClient.set(redis, tiers);
    }
    subscribed = tiers.join(channel, settings.copies, settings.log);
  });
  joining.catch((error: unknown) => settings.log.debug(`no local tier: ${String(error)}`));
  return {
    announce: async (key) => {
      await (await client()).call('PUBLISH', channel, `${PROCESS_ORIGIN} ${key ?? ''}`);
    },
    ready: () => subscribed?.() ?? false,
  };
}
