import { MissingPeerError } from '../../errors.js';

/**
 * Loads a driver only the backend that uses it needs (an optional peer of
 * cachier), when that backend first runs.
 *
 * The specifier is a variable and the bundler hints tell webpack and Vite to
 * leave the import alone: an application that bundles cachier then builds
 * without the drivers it does not use (no "could not resolve" error, no need
 * to mark them external), and the driver it does use loads from
 * `node_modules` at run time, as `pino` and `keyv` load their optional
 * transports and adapters.
 * @param specifier - the package, e.g. `@aws-sdk/client-s3`.
 * @param neededBy - what needs it, for the error, e.g. `the s3 backend`.
 * @throws {@link MissingPeerError} when the package is not installed.
 */
export async function importOptionalPeer<Module>(specifier: string, neededBy: string): Promise<Module> {
  try {
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as Module;
  } catch (error) {
    if (isNotFound(error, specifier)) throw new MissingPeerError(specifier, neededBy, `Install it: npm install ${specifier}`);
    throw error;
  }
}

/** Whether `error` says `specifier` itself is missing (not a package it imports). */
function isNotFound(error: unknown, specifier: string): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes(`'${specifier}'`);
}
