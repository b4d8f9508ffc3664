import type { BackendDescriptor } from '../descriptor.js';

/** One row per entry in the table cachier_entries; async functions only. */
export const postgresBackend = {
  name: 'postgres',
  servesSync: false,
  connection: {
    option: 'postgres',
    holds: 'client',
    hint: 'a pg Pool, e.g. postgres: new pg.Pool({ connectionString: process.env.DATABASE_URL })',
    driver: 'pg',
  },
  ownOptions: [],
  loadCore: async () => (await import('./core.js')).createPostgresCore,
  loadInspector: () => import('./inspector.js'),
  loadInvalidation: async () => (await import('./invalidation.js')).createInvalidationChannel,
} as const satisfies BackendDescriptor;
