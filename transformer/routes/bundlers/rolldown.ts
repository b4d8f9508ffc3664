/**
 * The Rolldown plugin of cachier: rewrites `@cachier`-tagged functions before
 * Rolldown compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * @example
 * ```ts
 * // rolldown.config.mjs
 * import cachier from 'cachier/rolldown';
 * export default { input: 'src/main.ts', plugins: [cachier()] };
 * ```
 * @packageDocumentation
 */
import { rollupStylePlugin } from './rollup-family.js';

/**
 * Creates the Rolldown plugin; it takes no options.
 * @throws a `CachierTagError` from the module's transform naming `file:line:column` for each bad tag, which fails the build.
 */
export default rollupStylePlugin;
