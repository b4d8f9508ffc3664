/**
 * The Farm plugin of cachier: rewrites `@cachier`-tagged functions before
 * Farm compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * @example
 * ```ts
 * // farm.config.ts
 * import cachier from 'cachier/farm';
 * export default defineConfig({ plugins: [cachier()] });
 * ```
 * @packageDocumentation
 */
import { cachier } from './unplugin.js';

/**
 * Creates the Farm plugin; it takes no options.
 * @throws a `CachierTagError` from the module's transform naming `file:line:column` for each bad tag, which fails the build.
 */
export default cachier.farm;
