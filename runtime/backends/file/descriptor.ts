import type { BackendDescriptor } from '../descriptor.js';

/** One file per entry under `cacheDir`, shared by the machine's processes; serves sync and async functions. */
export const fileBackend = {
  name: 'file',
  servesSync: true,
  connection: undefined,
  ownOptions: ['cacheDir', 'reload', 'separateFiles', 'shared'],
  loadInspector: () => import('./inspector.js'),
} as const satisfies BackendDescriptor;
