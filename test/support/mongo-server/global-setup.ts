import type { TestProject } from 'vitest/node';
import { TestMongoServer } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the mongo suites connect: `MONGODB_URI` if set, else the bundled test server. */
    mongoUri: string;
  }
}

/**
 * Vitest global setup: starts the bundled MongoDB-compatible test server on a
 * free port, unless `MONGODB_URI` names a real server to run the suites against.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env['MONGODB_URI'];
  if (external) {
    project.provide('mongoUri', external);
    return undefined;
  }
  const server = await TestMongoServer.start();
  project.provide('mongoUri', server.uri);
  return () => server.stop();
}
