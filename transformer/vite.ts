/**
 * The Vite/Vitest plugin of cachier: applies the `@cachier` rewrite to
 * TypeScript and JavaScript modules before Vite compiles them, so projects
 * that run through Vite or Vitest (which ignore `compilerOptions.plugins`) get
 * the same cached functions, ids and source hashes as a compiler build.
 *
 * @example
 * ```ts
 * // vite.config.ts or vitest.config.ts
 * import cachier from 'cachier/vite';
 * export default defineConfig({ plugins: [cachier()] });
 * ```
 * @packageDocumentation
 */
import { TagError, transformModule } from './engine.js';

/** The part of Vite's plugin interface this plugin fills in. */
export interface CachierVitePlugin {
  readonly name: 'cachier';
  /** Runs before Vite's own compilation, which would drop the JSDoc tags. */
  readonly enforce: 'pre';
  transform(code: string, id: string): { code: string; map: string } | null;
}

const SOURCE_MODULE = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/**
 * Creates the plugin.
 * @throws a `CachierTagError` from `transform` naming `file:line:column` for each bad tag, which Vite reports as a build error.
 */
export default function cachier(): CachierVitePlugin {
  return {
    name: 'cachier',
    enforce: 'pre',
    transform(code, id) {
      const fileName = id.split('?')[0] ?? id;
      if (!SOURCE_MODULE.test(fileName) || fileName.includes('/node_modules/') || !code.includes('@cachier')) return null;
      const result = transformModule({ code, fileName });
      if (result.diagnostics.length > 0) throw new TagError(result.diagnostics);
      return result.changed && result.map ? { code: result.code, map: result.map.toString() } : null;
    },
  };
}
