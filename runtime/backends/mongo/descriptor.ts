import type { BackendDescriptor } from '../descriptor.js';

/** One document per entry in a MongoDB collection; async functions only. */
export const mongoBackend = {
  name: 'mongo',
  servesSync: false,
  connection: {
    option: 'mongetter',
    holds: 'function',
    hint: `a function returning the MongoDB collection to use, e.g. mongetter: () => client.db('app').collection('cachier')`,
    driver: 'mongodb',
  },
  ownOptions: [],
  loadCore: async () => (await import('./core.js')).createMongoCore,
  loadInspector: () => import('./inspector.js'),
  loadInvalidation: async () => (await import('./invalidation.js')).createInvalidationChannel,
} as const satisfies BackendDescriptor;
