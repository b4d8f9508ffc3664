import type { ClientOption } from '../shared/connection.js';
import { requireMethods } from '../shared/connection.js';

/** An argument of a Redis command. */
export type RedisArgument = string | number | Uint8Array;

/**
 * The part of an ioredis client the redis backend uses, written structurally
 * so that cachier never loads `ioredis` itself: any `Redis` instance of
 * ioredis 5 or later fits.
 */
export interface RedisClient {
  /** Sends one command; bulk replies come back as strings. */
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  /** Sends one command; bulk replies come back as Buffers. */
  callBuffer(command: string, ...args: RedisArgument[]): Promise<unknown>;
  /** A new connection with the same settings, used to subscribe while callers wait. */
  duplicate(): RedisSubscriber;
}

/** The part of an ioredis connection used to subscribe to the channels that wake waiters. */
export interface RedisSubscriber {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(): void;
}

/** The `redis` option: an ioredis client, or a function returning one (or a promise of one). */
export type RedisOption = ClientOption<RedisClient>;

/** Checks that what the `redis` option gave looks like an ioredis client. */
export function asRedisClient(value: unknown): RedisClient {
  return requireMethods<RedisClient>(
    value,
    ['call', 'callBuffer', 'duplicate'],
    'redis',
    'an ioredis client (new Redis(url)) or a function returning one',
  );
}

/** Every key matching `pattern`, via SCAN (never KEYS, which blocks the server). */
export async function scan(redis: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = (await redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [string, string[]];
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}
