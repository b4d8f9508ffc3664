import type { TestProject } from 'vitest/node';
import { TestPostgresServer, TestRedisServer, TestS3Server, type RestartableServer } from './servers.mjs';

/** Where a shared backend's suites connect, or why they skip. */
export type ServerAddress = { readonly url: string } | { readonly skip: string };

declare module 'vitest' {
  export interface ProvidedContext {
    /** `REDIS_URL`, else a Debian redis-server started here. */
    redisServer: ServerAddress;
    /** `DATABASE_URL`, else a Debian PostgreSQL cluster started here. */
    postgresServer: ServerAddress;
    /** `S3_ENDPOINT`, else an s3rver started here (bucket `cachier-test`). */
    s3Server: ServerAddress;
  }
}

/**
 * Vitest global setup: starts Redis, PostgreSQL and an S3-compatible server
 * on free loopback ports, installing Debian's redis-server and postgresql
 * with apt-get when missing (as root). `REDIS_URL`, `DATABASE_URL` and
 * `S3_ENDPOINT` point the suites at other servers instead. A server that
 * cannot be started makes its backend's tests skip with the reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: RestartableServer[] = [];
  const start = async (external: string | undefined, launch: () => Promise<RestartableServer>, name: string): Promise<ServerAddress> => {
    if (external) return { url: external };
    try {
      const server = await launch();
      started.push(server);
      return { url: server.address };
    } catch (error) {
      return { skip: `${name} could not be started: ${(error as Error).message}` };
    }
  };
  const [redis, postgres, s3] = await Promise.all([
    start(process.env['REDIS_URL'], () => TestRedisServer.start(), 'redis-server'),
    start(process.env['DATABASE_URL'], () => TestPostgresServer.start(), 'PostgreSQL'),
    start(process.env['S3_ENDPOINT'], () => TestS3Server.start(), 's3rver'),
  ]);
  project.provide('redisServer', redis);
  project.provide('postgresServer', postgres);
  project.provide('s3Server', s3);
  return async () => {
    await Promise.all(started.map((server) => server.stop()));
  };
}
