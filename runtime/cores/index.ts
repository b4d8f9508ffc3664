import type { CoreFactory } from '../core.js';
import type { Backend } from '../options.js';
import { createFileCore } from './file.js';
import { createMemoryCore } from './memory.js';
import { createMongoCore } from './mongo.js';

/** The factory of each backend named in the `backend` option. */
export const coreFactories: Readonly<Partial<Record<Backend, CoreFactory>>> = {
  memory: createMemoryCore,
  file: createFileCore,
  mongo: createMongoCore,
};
