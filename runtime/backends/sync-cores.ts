import type { CoreFactory } from '../core.js';
import { createFileCore } from './file/core.js';
import { createMemoryCore } from './memory/core.js';

/**
 * The cores of the backends that serve synchronous functions (their
 * descriptors say `servesSync`), by backend name. A synchronous call cannot
 * wait for an import, so the engine imports these with itself; they are kept
 * out of the descriptors so that reading the registry (option validation,
 * the tag grammar in every build, the command) loads no backend code.
 */
export const syncCores: Readonly<Record<string, CoreFactory>> = {
  file: createFileCore,
  memory: createMemoryCore,
};
