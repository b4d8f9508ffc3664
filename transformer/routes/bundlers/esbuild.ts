/**
 * The esbuild plugin of cachier: rewrites `@cachier`-tagged functions before
 * esbuild compiles the module, with the same ids and source hashes as a `tspc`
 * build. Thin over the rewrite engine: see `transformer/routes/bundlers/plugin-hooks.ts`.
 *
 * A plain esbuild plugin, without unplugin: esbuild asks the plugin for every
 * module it loads (its filters go by path only), so the plugin's own cost per
 * module is the build's, and unplugin added a fresh process about 35 ms to
 * load and an asynchronous read of each module.
 *
 * @example
 * ```ts
 * import cachier from 'cachier/esbuild';
 * await esbuild.build({ entryPoints: ['src/main.ts'], bundle: true, plugins: [cachier()] });
 * ```
 * @packageDocumentation
 */
import { dirname, relative } from 'node:path';
import type { Loader, OnLoadResult, PartialMessage, Plugin } from 'esbuild';
import { BuildGraphs, type CachierDiagnostic, formatDiagnostic, projectTransformStore, TagError } from '../../engine/index.js';
import { INSTALLED_PACKAGE, rewriteForBundler, SOURCE_MODULE } from './plugin-hooks.js';

/** esbuild's loader for a module the plugin hands back, by its extension (its own defaults). */
function loaderOf(path: string): Loader {
  if (path.endsWith('.tsx')) return 'tsx';
  if (path.endsWith('.jsx')) return 'jsx';
  return /\.[cm]?ts$/.test(path) ? 'ts' : 'js';
}

/**
 * A bad tag as esbuild reports its own errors: the message every route gives
 * (`file:line:column: cachier: ...`), with the line shown under it, instead
 * of a thrown error's stack.
 */
function tagMessage(diagnostic: CachierDiagnostic, code: string): PartialMessage {
  return {
    text: formatDiagnostic(diagnostic, (fileName) => relative(process.cwd(), fileName)),
    location: {
      file: relative(process.cwd(), diagnostic.fileName),
      line: diagnostic.line,
      // esbuild's columns count from 0.
      column: diagnostic.column - 1,
      length: diagnostic.length,
      lineText: code.split('\n')[diagnostic.line - 1] ?? '',
    },
  };
}

/**
 * Creates the esbuild plugin; it takes no options. Modules without
 * `@cachier` are left to esbuild. A rewritten module carries its source map
 * inline when the build makes maps (esbuild composes it), and names the files
 * its source hashes cover as watch files, so `context.watch()` rebuilds it
 * when a helper it uses changes.
 * A bad tag fails the build with an error per tag naming `file:line:column`.
 */
export default function cachier(): Plugin {
  return {
    name: 'cachier',
    setup(build) {
      const graphs = new BuildGraphs({ store: projectTransformStore() });
      const sourceMaps = Boolean(build.initialOptions.sourcemap);
      build.onStart(() => graphs.reset());
      // esbuild's filters are Go's regular expressions, without lookahead: installed packages are left out here.
      build.onLoad({ filter: SOURCE_MODULE, namespace: 'file' }, (args): OnLoadResult | undefined => {
        if (INSTALLED_PACKAGE.test(args.path)) return undefined;
        // Read through the build's graph, which reads each file once: the files behind a tagged module's hashes are most of the project.
        const graph = graphs.current();
        const code = graph.textOnDisk(args.path);
        if (code === undefined || !code.includes('@cachier')) return undefined;
        let rewritten: ReturnType<typeof rewriteForBundler>;
        try {
          rewritten = rewriteForBundler(code, args.path, graph);
        } catch (error) {
          if (error instanceof TagError) return { errors: error.diagnostics.map((diagnostic) => tagMessage(diagnostic, code)) };
          throw error;
        }
        if (!rewritten) return undefined;
        return {
          contents: sourceMaps ? `${rewritten.code}\n//# sourceMappingURL=${rewritten.map.toUrl()}\n` : rewritten.code,
          loader: loaderOf(args.path),
          resolveDir: dirname(args.path),
          watchFiles: rewritten.dependencies,
        };
      });
    },
  };
}
