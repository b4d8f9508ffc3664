/** The bucket s3rver creates for the suites. */
export const TEST_BUCKET: string;

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number>;

/** A server a test can stop (as in a crash) and start again on the same port. */
export interface RestartableServer {
  /** Where clients connect: a URL, or the S3 endpoint. */
  readonly address: string;
  stop(): Promise<void>;
  resume(): Promise<void>;
}

/**
 * Debian's redis-server on a free loopback port (installed with apt-get when
 * missing, as root). `fsyncEveryWrite` (default true) makes entries survive a
 * kill; false syncs once a second.
 */
export const TestRedisServer: { start(options?: { fsyncEveryWrite?: boolean }): Promise<RestartableServer> };

/** Debian's PostgreSQL in a temp cluster on a free loopback port (installed with apt-get when missing, as root). */
export const TestPostgresServer: { start(): Promise<RestartableServer> };

/** s3rver in a child process on a free loopback port, with the bucket {@link TEST_BUCKET}. */
export const TestS3Server: { start(): Promise<RestartableServer> };
