import type { CoreLog } from '../../core.js';
import { Wakeups, type Notifier } from '../shared/waiting.js';
import { CHANNEL } from './schema.js';
import type { PostgresConnection, PostgresPool } from './pool.js';

/**
 * The LISTEN side of one pool: while callers wait, one connection checked out
 * of the pool listens on {@link CHANNEL} and wakes the waiters of the key a
 * notification names; it goes back to the pool (closed, so it carries no
 * LISTEN state) when the last waiter leaves. Listening is never awaited:
 * until it is in place (or if it fails), waiters simply poll.
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
    void closing.then((release) => release?.());
  }

  /** Checks out a connection and LISTENs on it; answers how to give it back (once), or undefined if it failed. */
  private async listen(lost: () => void): Promise<(() => void) | undefined> {
    let connection: PostgresConnection | undefined;
    let released = false;
    const release = (error?: Error): void => {
      if (released || !connection) return;
      released = true;
      connection.release(error ?? true);
    };
    try {
      connection = await this.pool.connect();
      connection.on('notification', (message) => {
        if (message.channel === CHANNEL && message.payload) this.wakeups.wake(message.payload);
      });
      connection.on('error', (error) => {
        this.log.debug(`the listening connection failed, waiters poll: ${error.message}`);
        release(error);
        lost();
      });
      await connection.query(`LISTEN ${CHANNEL}`);
      return () => release();
    } catch (error) {
      this.log.debug(`could not LISTEN, waiters poll: ${String(error)}`);
      release(error instanceof Error ? error : undefined);
      lost();
      return undefined;
    }
  }
}

const listenerOfPool = new WeakMap<PostgresPool, PostgresListener>();

/** The listener of `pool`, shared by every function cached through it. */
export function listenerOf(pool: PostgresPool, log: CoreLog): PostgresListener {
  let listener = listenerOfPool.get(pool);
  if (!listener) listenerOfPool.set(pool, (listener = new PostgresListener(pool, log)));
  return listener;
}
