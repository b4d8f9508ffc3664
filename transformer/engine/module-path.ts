import { defaultFunctionId, pathInside, projectFinder, type ModuleProject } from '../../runtime/project-identity.js';
import type { TypeScript } from './typescript-api.js';

// One finder per TypeScript `sys`, so each folder's package.json is read once per build tool.
const finders = new WeakMap<TypeScript['sys'], (moduleFile: string) => ModuleProject>();

function projectOf(ts: TypeScript, fileName: string): ModuleProject {
  let finder = finders.get(ts.sys);
  if (!finder) {
    finder = projectFinder({ exists: (path) => ts.sys.fileExists(path), read: (path) => ts.sys.readFile(path) });
    finders.set(ts.sys, finder);
  }
  return finder(fileName);
}

/**
 * A module's path relative to its package (the nearest folder with a
 * `package.json`), with forward slashes: `src/prices.ts`. It is the same on
 * every machine and OS, wherever the project is checked out, so source hashes
 * that name the modules a function reaches are the same everywhere.
 */
export function modulePathOf(ts: TypeScript, fileName: string): string {
  return pathInside(projectOf(ts, fileName).packageRoot, fileName);
}

/**
 * The default cache id of the function `qualifiedName` declared in `fileName`:
 * `my-app:src/prices.ts#fetchPrice`, the id the runtime derives for the same
 * function wrapped by hand (both come from runtime/project-identity.ts).
 */
export function defaultIdOf(ts: TypeScript, fileName: string, qualifiedName: string): string {
  return defaultFunctionId(projectOf(ts, fileName), fileName, qualifiedName);
}
