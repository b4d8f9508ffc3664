import type { CoreFactory } from '../core.js';
import type { Backend } from '../options.js';
import { createFileCore } from './file/core.js';
import { createMemoryCore } from './memory/core.js';
import { createMongoCore } from './mongo/core.js';
import { createPostgresCore } from './postgres/core.js';
import { createRedisCore } from './redis/core.js';
import { createS3Core } from './s3/core.js';

/** The factory of each backend named in the `backend` option. */
export const coreFactories: Readonly<Partial<Record<Backend, CoreFactory>>> = {
  memory: createMemoryCore,
  file: createFileCore,
  mongo: createMongoCore,
  redis: createRedisCore,
  postgres: createPostgresCore,
  s3: createS3Core,
};
