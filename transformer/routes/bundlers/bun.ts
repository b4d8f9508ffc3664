/**
 * The Bun plugin of cachier: rewrites `@cachier`-tagged functions before
 * Bun compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * @example
 * ```ts
 * import cachier from 'cachier/bun';
 * await Bun.build({ entrypoints: ['src/main.ts'], plugins: [cachier()] });
 * ```
 * @packageDocumentation
 */
import { cachier } from './unplugin.js';

/**
 * Creates the Bun plugin; it takes no options.
 * @throws a `CachierTagError` from the module's transform naming `file:line:column` for each bad tag, which fails the build.
 */
export default cachier.bun;
