import type { CoreLog } from '../../core.js';
import { Wakeups, type Notifier } from '../shared/waiting.js';
import { CHANNEL } from './schema.js';
import type { PostgresConnection, PostgresPool } from './pool.js';

/**
 * The LISTEN side of one pool: while callers wait, one connection of its own
 * (opened with the pool's client class and settings, outside the pool, so
 * waiting never takes a connection the application's queries and cache hits
 * need) listens on {@link CHANNEL} and wakes the waiters of the key a
 * notification names; it closes when the last waiter leaves. Listening is
 * never awaited: until it is in place (or if it fails, or the pool does not
 * tell how it connects), waiters simply poll.
 */
class PostgresListener implements Notifier {
  readonly wakeups = new Wakeups();
  private connection: Promise<(() => void) | undefined> | undefined;

  constructor(
    private readonly pool: PostgresPool,
    private readonly log: CoreLog,
  ) {}

  enter(name: string): void {
    this.wakeups.enter(name);
    if (this.connection) return;
    const current: Promise<(() => void) | undefined> = this.listen(() => {
      if (this.connection === current) this.connection = undefined;
    });
    this.connection = current;
  }

  leave(name: string): void {
    this.wakeups.leave(name);
    if (!this.wakeups.idle || !this.connection) return;
    const closing = this.connection;
    this.connection = undefined;
    void closing.then((close) => close?.());
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
        if (message.channel === CHANNEL && message.payload) this.wakeups.wake(message.payload);
      });
      connection.on('error', (error) => {
        this.log.debug(`the listening connection failed, waiters poll: ${error.message}`);
        close();
        lost();
      });
      await connection.connect();
      await connection.query(`LISTEN ${CHANNEL}`);
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
