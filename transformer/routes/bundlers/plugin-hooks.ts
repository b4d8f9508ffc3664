/**
 * What cachier's bundler plugin does, for every bundler: the hooks shared by
 * the plain plugin objects of the Rollup family (Rollup, Rolldown, Vite: they
 * take one format, see `rollup-family.ts`) and by the unplugin instance for
 * webpack, Rspack, Rsbuild, Farm and Bun (`unplugin.ts`); esbuild's plugin
 * (`esbuild.ts`) calls {@link rewriteForBundler} from its own load callback.
 * It hands each module that contains `@cachier` to the rewrite engine before
 * the bundler compiles it, and returns the rewritten code with its source map:
 * the same ids and source hashes as a `tspc` build of the same TypeScript.
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SourceMap } from 'magic-string';
import type { Plugin as VitePlugin } from 'vite';
import { BuildGraphs, ModuleGraph, moduleFormatOf, projectTransformStore, TagError, transformModule } from '../../engine/index.js';
import { requireToolVersion } from './tool-version.js';

/** The modules the plugins look at: TypeScript and JavaScript (with a query, as Vite's ids may have), never installed packages. */
export const SOURCE_MODULE = /\.(?:[cm]?[jt]s|[jt]sx)(?:\?.*)?$/;

/** The file a bundler's module id names: the id without its query (`src/a.ts?v=1` is `src/a.ts`). */
export function fileOfId(id: string): string {
  return id.split('?')[0] ?? id;
}

/**
 * The rewrite of one module for a bundler: its code and source map, and the
 * project files its tagged functions' source hashes cover, which the bundler
 * must watch so an edit to a helper rebuilds (and rehashes) the functions that
 * use it. Answers `undefined` when nothing was rewritten.
 * @param graph - the build's modules, shared by the build's calls (see
 *   {@link BuildGraphs}); a graph of its own by default.
 * @throws {@link TagError} naming `file:line:column` for each bad tag.
 */
export function rewriteForBundler(
  code: string,
  id: string,
  graph: ModuleGraph = new ModuleGraph(),
): { code: string; map: NonNullable<ReturnType<typeof transformModule>['map']>; dependencies: string[] } | undefined {
  const fileName = fileOfId(id);
  const original = originalSource(fileName, code, graph);
  // Code an earlier plugin compiled is JavaScript: the wrapper must not add TypeScript syntax to it.
  const codeName = original ? fileName.replace(/\.([cm]?)ts(x?)$/, '.$1js$2') : fileName;
  const result = transformModule({ code, fileName: codeName, format: moduleFormatOf(codeName, code), graph, original });
  if (result.diagnostics.length > 0) throw new TagError(result.diagnostics);
  if (!result.changed || !result.map) return undefined;
  const dependencies = [...graph.filesBehindFile(fileName)].filter((file) => file !== fileName).sort();
  return { code: result.code, map: result.map, dependencies };
}

/**
 * The module's text on disk when an earlier plugin already changed it (say,
 * compiled TypeScript to JavaScript): tags, ids and hashes come from the
 * source, as under the compiler, and the engine finds the functions in the
 * code it is given.
 */
function originalSource(fileName: string, code: string, graph: ModuleGraph): { code: string; fileName: string } | undefined {
  // The graph has most often read the file already, as a file behind another module's hashes.
  const onDisk = graph.textOnDisk(fileName);
  return onDisk === undefined || onDisk === code ? undefined : { code: onDisk, fileName };
}

/** The version of the Vite a project at `root` resolves (`undefined` when it resolves none: then Vite runs from elsewhere, and the check is skipped). */
function viteVersionAt(root: string): string | undefined {
  try {
    return (createRequire(join(root, 'package.json'))('vite/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * What the transform hook uses of the bundler's `this`: every bundler's
 * `addWatchFile`; Rollup's, Rolldown's and Vite's `meta` (others have none).
 */
export interface TransformContext {
  addWatchFile(id: string): void;
  readonly meta?: { readonly watchMode?: boolean };
}

/** The hooks every bundler's plugin has, in the plugin format of Rollup (which unplugin takes too). */
export interface BundlerHooks {
  readonly name: 'cachier';
  /** Vite runs the plugin before its own TypeScript compilation, which would drop the JSDoc tags. */
  readonly enforce: 'pre';
  buildStart(): void;
  watchChange(): void;
  readonly transform: {
    /** Which modules the hook is called for, where the bundler filters natively (Rolldown, Vite 6.3+, Rollup 4.38+); the handler checks again. */
    readonly filter: { readonly id: { readonly include: RegExp[]; readonly exclude: RegExp[] }; readonly code: string };
    handler(this: TransformContext, code: string, id: string): { code: string; map: SourceMap } | null;
  };
}

/** The hooks only Vite's plugin has (and Vitest's, which runs Vite). */
export type ViteHooks = Pick<VitePlugin, 'configResolved' | 'hotUpdate'> & {
  configureVitest(context: VitestPluginContext): void;
};

/** Installed packages, which the plugins never rewrite. */
export const INSTALLED_PACKAGE = /[\\/]node_modules[\\/]/;

/**
 * The hooks of one plugin instance: `common` for every bundler, `vite` for
 * Vite's. One instance's hooks share its build's module graph and the
 * dependencies of the modules it rewrote.
 */
export function bundlerHooks(): { readonly common: BundlerHooks; readonly vite: ViteHooks } {
  /** Each rewritten module's hashed dependencies, for the dev server. */
  const dependenciesOf = new Map<string, readonly string[]>();
  /** The modules of the current build, shared by its transform calls; a new graph at each build start and file change. */
  const graphs = new BuildGraphs({ store: projectTransformStore() });
  const common: BundlerHooks = {
    name: 'cachier',
    enforce: 'pre',
    buildStart() {
      graphs.reset();
    },
    watchChange() {
      graphs.reset();
    },
    transform: {
      filter: { id: { include: [SOURCE_MODULE], exclude: [INSTALLED_PACKAGE] }, code: '@cachier' },
      handler(code, id) {
        if (!SOURCE_MODULE.test(id) || INSTALLED_PACKAGE.test(id) || !code.includes('@cachier')) return null;
        const rewritten = rewriteForBundler(code, id, graphs.current());
        if (!rewritten) return null;
        dependenciesOf.set(fileOfId(id), rewritten.dependencies);
        // Watch mode (Rollup, webpack, Rspack, ...) rebuilds the module when a file its hash covers changes. A Rollup-family
        // build that says it does not watch skips it: a call per file behind per module costs Rolldown 30 ms on a large project.
        if (this.meta?.watchMode !== false) for (const dependency of rewritten.dependencies) this.addWatchFile(dependency);
        return { code: rewritten.code, map: rewritten.map };
      },
    },
  };
  const vite: ViteHooks = {
    /** The dev server's `hotUpdate` hook below is Vite 6's (its environment API): Vite 5 would never call it and serve stale hashes. */
    configResolved(config) {
      const version = viteVersionAt(config.root);
      if (version) requireToolVersion('vite', version, 6, 'cachier/vite');
    },
    /**
     * Vite's dev server only soft-invalidates the importers of a changed
     * file (their transformed code is reused), which would keep a tagged
     * function's old source hash: re-transform every module whose hash
     * covers the file.
     */
    hotUpdate({ file, modules, timestamp }) {
      graphs.reset();
      const { moduleGraph } = this.environment;
      const dependents = [...dependenciesOf]
        .filter(([, dependencies]) => dependencies.includes(file))
        .flatMap(([module]) => [...(moduleGraph.getModulesByFile(module) ?? [])]);
      if (dependents.length === 0) return;
      for (const dependent of dependents) moduleGraph.invalidateModule(dependent, new Set(), timestamp, true);
      return [...new Set([...modules, ...dependents])];
    },
    /**
     * Vitest's module cache on disk (`fsModuleCache`, on by default since
     * Vitest 5) keys a module by its own text, so a tagged module would keep
     * its old source hash after an edit to a helper: never cache tagged modules.
     */
    configureVitest(context: VitestPluginContext) {
      const define = context.defineCacheKeyGenerator ?? context.experimental_defineCacheKeyGenerator;
      define?.(({ sourceCode }) => (sourceCode.includes('@cachier') ? false : undefined));
    },
  };
  return { common, vite };
}

/** What Vitest hands a plugin's `configureVitest` hook, as far as this plugin uses it (Vitest 4 names the method `experimental_...`). */
interface VitestPluginContext {
  readonly defineCacheKeyGenerator?: (generator: (module: { readonly sourceCode: string }) => string | false | undefined) => void;
  readonly experimental_defineCacheKeyGenerator?: (
    generator: (module: { readonly sourceCode: string }) => string | false | undefined,
  ) => void;
}
