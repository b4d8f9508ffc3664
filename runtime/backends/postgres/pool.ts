import type { ClientOption } from '../shared/connection.js';
import { requireMethods } from '../shared/connection.js';

/** One query, as `pg` takes it; a `name` makes it a prepared statement reused on each connection. */
export interface PostgresQuery {
  readonly name?: string;
  readonly text: string;
  readonly values?: readonly unknown[];
}

/** The part of a `pg` result the postgres backend reads. */
export interface PostgresResult {
  readonly rows: Array<Record<string, unknown>>;
  readonly rowCount: number | null;
}

/** A connection of its own, opened with the pool's settings, that LISTENs while callers wait. */
export interface PostgresConnection {
  connect(): Promise<unknown>;
  query(query: string): Promise<PostgresResult>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string | undefined }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
  /** pg's wire connection, whose socket is unreferenced so that listening never keeps a process alive. */
  readonly connection?: { readonly stream?: { unref?(): void } };
}

/**
 * The part of a `pg` Pool the postgres backend uses, written structurally so
 * that cachier never loads `pg` itself: any `pg.Pool` (pg 8 or later) fits.
 */
export interface PostgresPool {
  query(query: PostgresQuery): Promise<PostgresResult>;
  /**
   * The client class and the settings the pool opens its connections with
   * (pg-pool sets both). Waiters LISTEN on one connection of their own made
   * from them, never on one of the pool's, so a small pool (`max: 1`) is not
   * starved by waiting; without them, waiters poll.
   */
  readonly Client?: new (
    settings: object,
  ) => PostgresConnection;
  readonly options?: object;
}

/** The `postgres` option: a `pg` Pool, or a function returning one (or a promise of one). */
export type PostgresOption = ClientOption<PostgresPool>;

/** Checks that what the `postgres` option gave looks like a `pg` Pool. */
export function asPostgresPool(value: unknown): PostgresPool {
  return requireMethods<PostgresPool>(
    value,
    ['query'],
    'postgres',
    'a pg Pool (new pg.Pool({ connectionString })) or a function returning one',
  );
}
