/**
 * The Vite (and Vitest, which ignores `compilerOptions.plugins`) plugin of cachier: rewrites `@cachier`-tagged functions before
 * Vite compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * In the dev server, an edit to a helper that a tagged function uses (its
 * source hash covers it) re-transforms the tagged module on its next load, so
 * the function gets its new hash and never serves results of the old code.
 *
 * @example
 * ```ts
 * // vite.config.ts or vitest.config.ts
 * import cachier from 'cachier/vite';
 * export default defineConfig({ plugins: [cachier()] });
 * ```
 * @packageDocumentation
 */
import { vitePlugin } from './rollup-family.js';

/**
 * Creates the Vite plugin; it takes no options.
 * @throws a `CachierTagError` from the module's transform naming `file:line:column` for each bad tag, which fails the build.
 */
export default vitePlugin;
