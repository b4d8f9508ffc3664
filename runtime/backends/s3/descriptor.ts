import type { BackendDescriptor } from '../descriptor.js';

/** One object per entry in an S3 bucket; async functions only. */
export const s3Backend = {
  name: 's3',
  servesSync: false,
  connection: {
    option: 's3',
    holds: 'client',
    hint: `the bucket to use, e.g. s3: { client: new S3Client({}), bucket: 'my-cache' }`,
    driver: '@aws-sdk/client-s3',
  },
  ownOptions: [],
  loadCore: async () => (await import('./core.js')).createS3Core,
  loadInspector: () => import('./inspector.js'),
  loadInvalidation: async () => (await import('./invalidation.js')).createInvalidationChannel,
} as const satisfies BackendDescriptor;
