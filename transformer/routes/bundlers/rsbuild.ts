/**
 * The Rsbuild plugin of cachier: rewrites `@cachier`-tagged functions before
 * Rsbuild compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * @example
 * ```ts
 * // rsbuild.config.mjs
 * import cachier from 'cachier/rsbuild';
 * export default { plugins: [cachier()] };
 * ```
 * @packageDocumentation
 */
import { cachier } from './unplugin.js';

/**
 * Creates the Rsbuild plugin; it takes no options.
 * @throws a `CachierTagError` from the module's transform naming `file:line:column` for each bad tag, which fails the build.
 */
export default cachier.rsbuild;
