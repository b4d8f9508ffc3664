import { defaultFunctionId, pathInside, projectOnDisk as projectOf } from '../../runtime/project-identity.js';

/**
 * A module's path relative to its package (the nearest folder with a
 * `package.json`), with forward slashes: `src/prices.ts`. It is the same on
 * every machine and OS, wherever the project is checked out, so source hashes
 * that name the modules a function reaches are the same everywhere.
 */
export function modulePathOf(fileName: string): string {
  return pathInside(projectOf(fileName).packageRoot, fileName);
}

/**
 * The default cache id of the function `qualifiedName` declared in `fileName`:
 * `my-app:src/prices.ts#fetchPrice`, the id the runtime derives for the same
 * function wrapped by hand (both come from runtime/project-identity.ts).
 */
export function defaultIdOf(fileName: string, qualifiedName: string): string {
  return defaultFunctionId(projectOf(fileName), fileName, qualifiedName);
}
