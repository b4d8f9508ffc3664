import type { BackendDescriptor } from '../descriptor.js';

/** One key per entry in Redis, with a TTL from the shelf life; async functions only. */
export const redisBackend = {
  name: 'redis',
  servesSync: false,
  connection: {
    option: 'redis',
    holds: 'client',
    hint: 'an ioredis client, e.g. redis: new Redis(process.env.REDIS_URL)',
    driver: 'ioredis',
  },
  ownOptions: [],
  loadCore: async () => (await import('./core.js')).createRedisCore,
  loadInspector: () => import('./inspector.js'),
  loadInvalidation: async () => (await import('./invalidation.js')).createInvalidationChannel,
} as const satisfies BackendDescriptor;
