/**
 * The webpack plugin of cachier: rewrites `@cachier`-tagged functions before
 * webpack compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * @example
 * ```ts
 * // webpack.config.mjs: runs before the loader that compiles TypeScript
 * import cachier from 'cachier/webpack';
 * export default { plugins: [cachier()] };
 * ```
 * @packageDocumentation
 */
import { cachier } from './unplugin.js';

/**
 * Creates the webpack plugin; it takes no options.
 * @throws a `CachierTagError` from the module's transform naming `file:line:column` for each bad tag, which fails the build.
 */
export default cachier.webpack;
