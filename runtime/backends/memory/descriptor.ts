import type { BackendDescriptor } from '../descriptor.js';

/** Entries in this process only, kept as live values; serves sync and async functions. */
export const memoryBackend = {
  name: 'memory',
  servesSync: true,
  connection: undefined,
  ownOptions: [],
} as const satisfies BackendDescriptor;
