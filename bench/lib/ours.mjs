import { cachier, cachierChannels } from '../../dist/runtime/index.js';
import { backendNamed } from '../../dist/runtime/backends/registry.js';
import { keyOfArguments } from '../../dist/runtime/keys.js';
import { makeTempDir } from './temp-dir.mjs';

// Any cache a benchmark forgets to point somewhere still lands in a temp folder.
process.env['CACHIER_DIR'] = makeTempDir('default');

export { cachier, cachierChannels, keyOfArguments };

/**
 * Whether the built runtime registers a backend, so scenarios needing a core
 * that has not landed print "not available yet" instead of a figure.
 *
 * @param {'memory' | 'file' | 'mongo'} backend
 * @returns {boolean}
 */
export function hasBackend(backend) {
  return backendNamed(backend) !== undefined;
}

/**
 * The reason printed for a backend the build does not have yet.
 * @param {string} backend
 */
export function notAvailableYet(backend) {
  return `not available yet: the ${backend} core is not registered in runtime/backends/registry.ts`;
}
