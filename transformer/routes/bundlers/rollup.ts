/**
 * The Rollup plugin of cachier: rewrites `@cachier`-tagged functions before
 * Rollup compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * @example
 * ```ts
 * // rollup.config.mjs: list it before the plugin that compiles TypeScript
 * import cachier from 'cachier/rollup';
 * export default { input: 'src/main.ts', plugins: [cachier(), typescript()] };
 * ```
 * @packageDocumentation
 */
import { rollupStylePlugin } from './rollup-family.js';

/**
 * Creates the Rollup plugin; it takes no options.
 * @throws a `CachierTagError` from the module's transform naming `file:line:column` for each bad tag, which fails the build.
 */
export default rollupStylePlugin;
