import type { CoreLog } from '../../core.js';
import { Wakeups, type Notifier } from '../shared/waiting.js';
import type { RedisClient, RedisSubscriber } from './client.js';

/**
 * The pub/sub side of one client: while callers wait, one extra connection
 * (the client's `duplicate()`) subscribes to the channels of the keys they
 * wait for; it closes when the last waiter leaves, so an idle process holds
 * no extra connection and can exit. Subscribing is never awaited: until it
 * is acknowledged (or if it fails), waiters simply poll.
 */
class RedisChannels implements Notifier {
  readonly wakeups = new Wakeups();
  private subscriber: RedisSubscriber | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly log: CoreLog,
  ) {}

  enter(channel: string): void {
    if (!this.wakeups.enter(channel)) return;
    try {
      this.connection()
        .subscribe(channel)
        .catch((error: unknown) => this.log.debug(`could not subscribe to ${channel}, polling instead: ${String(error)}`));
    } catch (error) {
      this.log.debug(`could not open a subscriber connection, polling instead: ${String(error)}`);
    }
  }

  leave(channel: string): void {
    if (!this.wakeups.leave(channel)) return;
    const subscriber = this.subscriber;
    if (!subscriber) return;
    if (this.wakeups.idle) {
      this.subscriber = undefined;
      subscriber.disconnect();
    } else {
      subscriber.unsubscribe(channel).catch(() => undefined);
    }
  }

  private connection(): RedisSubscriber {
    if (!this.subscriber) {
      const subscriber = this.client.duplicate();
      subscriber.on('message', (channel) => this.wakeups.wake(channel));
      subscriber.on('error', (error) => this.log.debug(`subscriber connection: ${error.message}`));
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }
}

// One subscriber side per client, shared by every function cached through it.
const channelsOfClient = new WeakMap<RedisClient, RedisChannels>();

/** The {@link RedisChannels} of `client`. */
export function channelsOf(client: RedisClient, log: CoreLog): RedisChannels {
  let channels = channelsOfClient.get(client);
  if (!channels) {
    channels = new RedisChannels(client, log);
    channelsOfClient.set(client, channels);
  }
  return channels;
}
