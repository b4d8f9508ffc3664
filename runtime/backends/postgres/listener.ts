import type { CoreLog } from '../../core.js';
import { Wakeups, type Notifier } from '../shared/waiting.js';
import { CHANNEL } from './schema.js';
import type { PostgresConnection, PostgresPool } from './pool.js';

/** A local tier kept up to date by the notifications of its pool's listener. */
export interface ListenerHolder {
  /** Called with the payload of every notification on {@link CHANNEL}. */
  notified(payload: string): void;
  /** Called when LISTEN is in place again after the connection was lost: notifications may have been missed. */
  resync(): void;
}

/** After the listening connection of a local tier is lost, it is opened again this long after. */
const RELISTEN_MS = 1000;

/**
 * The LISTEN side of one pool: while callers wait, or while a local tier
 * holds it, one connection of its own (opened with the pool's client class
 * and settings, outside the pool, so waiting never takes a connection the
 * application's queries and cache hits need) listens on {@link CHANNEL} and
 * wakes the waiters of the key a notification names, and hands every
 * notification to the local tiers; it closes when the last waiter leaves and
 * no local tier holds it, and is opened again after a loss while one does.
 * Its socket is unreferenced: listening never keeps a process alive.
 * Listening is never awaited: until it is in place (or if it fails, or the
 * pool does not tell how it connects), waiters simply poll.
 */
class PostgresListener implements Notifier {
  readonly wakeups = new Wakeups();
  private readonly holders = new Set<ListenerHolder>();
  private connection: Promise<(() => void) | undefined> | undefined;
  private listenedOnce = false;
  private lostSince = false;

  constructor(
    private readonly pool: PostgresPool,
    private readonly log: CoreLog,
  ) {}

  enter(name: string): void {
    this.wakeups.enter(name);
    this.open();
  }

  leave(name: string): void {
    this.wakeups.leave(name);
    if (!this.wakeups.idle || this.holders.size > 0 || !this.connection) return;
    const closing = this.connection;
    this.connection = undefined;
    void closing.then((close) => close?.());
  }

  /**
   * Keeps the connection open for `holder`; answers whether LISTEN has been
   * in place at least once (it stays true while the connection is lost and
   * opened again: the holder is resynced then).
   */
  hold(holder: ListenerHolder): () => boolean {
    this.holders.add(holder);
    this.open();
    return () => this.listenedOnce;
  }

  private open(): void {
    if (this.connection) return;
    const current: Promise<(() => void) | undefined> = this.listen(() => {
      if (this.connection !== current) return;
      this.connection = undefined;
      this.lostSince = true;
      if (this.holders.size > 0) setTimeout(() => this.open(), RELISTEN_MS).unref();
    });
    this.connection = current;
  }

  /** Opens a connection and LISTENs on it; answers how to close it (once), or undefined if it failed. */
  private async listen(lost: () => void): Promise<(() => void) | undefined> {
    const { Client, options } = this.pool;
    if (Client === undefined || options === undefined) {
      this.log.debug('the pool does not expose its Client and options, waiters poll');
      return undefined;
    }
    const connection: PostgresConnection = new Client(options);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      connection.end().catch(() => undefined);
    };
    try {
      connection.on('notification', (message) => {
        if (message.channel !== CHANNEL || !message.payload) return;
        this.wakeups.wake(message.payload);
        for (const holder of this.holders) holder.notified(message.payload);
      });
      connection.on('error', (error) => {
        this.log.debug(`the listening connection failed, waiters poll: ${error.message}`);
        close();
        lost();
      });
      await connection.connect();
      connection.connection?.stream?.unref?.();
      await connection.query(`LISTEN ${CHANNEL}`);
      this.listenedOnce = true;
      if (this.lostSince) for (const holder of this.holders) holder.resync();
      this.lostSince = false;
      return close;
    } catch (error) {
      this.log.debug(`could not LISTEN, waiters poll: ${String(error)}`);
      close();
      lost();
      return undefined;
    }
  }
}

const listenerOfPool = new WeakMap<PostgresPool, PostgresListener>();

/** The listener of `pool`, shared by every function cached through it. */
export function listenerOf(pool: PostgresPool, log: CoreLog): PostgresListener {
  let listener = listenerOfPool.get(pool);
  if (!listener) {
    listener = new PostgresListener(pool, log);
    listenerOfPool.set(pool, listener);
  }
  return listener;
}
