import type { CoreFactory } from '../core.js';
import type { Backend } from '../options.js';
import { createFileCore } from './file.js';
import { createMemoryCore } from './memory.js';
import { createMongoCore } from './mongo.js';
import { createPostgresCore } from './postgres.js';
import { createRedisCore } from './redis.js';
import { createS3Core } from './s3.js';

/** The factory of each backend named in the `backend` option. */
export const coreFactories: Readonly<Partial<Record<Backend, CoreFactory>>> = {
  memory: createMemoryCore,
  file: createFileCore,
  mongo: createMongoCore,
  redis: createRedisCore,
  postgres: createPostgresCore,
  s3: createS3Core,
};
