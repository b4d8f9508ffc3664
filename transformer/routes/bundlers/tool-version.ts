import { MissingPeerError } from '../../../runtime/errors.js';

/**
 * Fails a bundler route early, with what to upgrade, when the bundler running
 * it is older than the plugin supports. cachier's peers carry no version
 * floors (a floor makes `npm install cachier` fail with ERESOLVE in every
 * project that has an older tool, even one that never uses its route), so
 * each route checks its own tool when it runs.
 * @param tool - the npm package, e.g. `vite`.
 * @param version - the running tool's version, e.g. `5.4.21`.
 * @param lowestMajor - the first major version the route supports.
 * @param route - the plugin's import path, e.g. `cachier/vite`.
 * @throws {@link MissingPeerError} when `version`'s major is below `lowestMajor`.
 */
export function requireToolVersion(tool: string, version: string, lowestMajor: number, route: string): void {
  const major = Number.parseInt(version, 10);
  if (Number.isNaN(major) || major >= lowestMajor) return;
  throw new MissingPeerError(
    tool,
    `the plugin ${route}`,
    `Upgrade it (npm install --save-dev ${tool}@latest), or build without the plugin.`,
    {
      version,
      supported: `${lowestMajor} or later`,
    },
  );
}
