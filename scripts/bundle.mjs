/**
 * Bundles what the package's users load, over the files `tsc` emitted, after
 * `tsc -p tsconfig.build.json`: Node's ES module loader spends up to a
 * millisecond on each file it resolves, reads and links, which was most of
 * the cost of a cold `import('cachier')` (about 60 files) and of starting a
 * route (a bundler plugin, `cachier-tsc`: about 45 files before the build
 * could start).
 *
 * The runtime's public entries (`cachier`, `cachier/prometheus`,
 * `cachier/opentelemetry`) share their code through one chunk (esbuild's
 * code splitting, see `oneRuntimeChunk`), so they share one module state
 * (defaults, metrics, caches); what the runtime imports on first use (the
 * server backends, the command's inspectors) stays in chunks of its own,
 * loaded when used. Chunks sit beside the entries in `dist/runtime/`, since
 * the runtime tells its own stack frames from the caller's by that folder
 * (`default-identity.ts`).
 *
 * The routes' entries (the bundler and Babel plugins, the ts-patch
 * transformer, the Node hooks, Jest's transformer, `cachier-tsc`) are bundled
 * the same way into `dist/transformer/routes/`, with their shared code (the
 * engine) in chunks in `dist/transformer/`; the engine's store of rewrites
 * then stamps itself with those chunks (`transform-store.ts`).
 *
 * The other files `tsc` emitted stay: the command, the editor plugin (which
 * tsserver loads with `require()`) and the tests import them.
 *
 * esbuild, not a second `tsc` pass or Rollup: one call bundles TypeScript
 * with code splitting and source maps to the original sources, and it is the
 * bundler our own esbuild route already supports.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

/**
 * Node's built-in modules, taken with `process.getBuiltinModule` (Node 20.16
 * and later) instead of `import`. Importing a built-in as an ES module builds
 * its facade, which reads every export once, lazy ones included: `node:fs`'s
 * `ReadStream` loads Node's streams, `node:util`'s `parseArgs` and `MIMEType`
 * their modules, a few milliseconds of a cold import that the runtime never
 * uses. Each built-in becomes a module that exports the built-in's plain
 * values by name; its getters are left out, so code that reads one (such as
 * `fs.promises`) fails the build (`import-is-undefined` is an error below)
 * instead of getting `undefined`.
 *
 * @type {import('esbuild').Plugin}
 */
const builtinsOnFirstUse = {
  name: 'cachier-builtins',
  setup(bundler) {
    bundler.onResolve({ filter: /^node:/ }, ({ path }) => {
      const name = path.slice('node:'.length);
      return builtinModules.includes(name) ? { path, namespace: 'node-builtin' } : undefined;
    });
    bundler.onLoad({ filter: /.*/, namespace: 'node-builtin' }, ({ path }) => {
      const plainNames = Object.entries(Object.getOwnPropertyDescriptors(require(path)))
        .filter(([name, descriptor]) => 'value' in descriptor && /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default')
        .map(([name]) => name);
      // Pure calls, so that the bundle keeps only the names the runtime uses.
      const contents = [
        `const builtin = process.getBuiltinModule(${JSON.stringify(path)});`,
        'const exported = (name) => builtin[name];',
        'export default builtin;',
        ...plainNames.map((name) => `export const ${name} = /* @__PURE__ */ exported(${JSON.stringify(name)});`),
      ].join('\n');
      return { contents, loader: 'js' };
    });
  },
};

const CHUNK_PREFIX = 'chunk-';
const transformerChunks = 'dist/transformer';

for (const dir of ['dist/runtime', transformerChunks]) {
  for (const file of readdirSync(dir)) {
    if (file.startsWith(CHUNK_PREFIX)) rmSync(join(dir, file));
  }
}

const runtimeEntry = resolve('runtime/index.ts');
const exporterEntries = ['runtime/metrics-prometheus.ts', 'runtime/metrics-opentelemetry.ts'].map((path) => resolve(path));

/**
 * One file for everything a cold `import('cachier')` runs. esbuild puts each
 * module in a chunk by the set of entries (the public ones and every
 * `import()` target) that reach it, so modules the runtime shares with a lazily
 * loaded server backend or inspector would sit in chunks of their own: seven
 * files, each costing Node's loader about a millisecond. Here every lazily
 * loaded module and every metrics exporter imports the runtime's entry first
 * (which it runs after anyway: it is loaded from it, or next to it), so all of
 * the runtime's static code is reached by the same entries and lands in one
 * chunk; `dist/runtime/index.js` only re-exports it.
 *
 * @type {import('esbuild').Plugin}
 */
const oneRuntimeChunk = {
  name: 'cachier-one-runtime-chunk',
  setup(bundler) {
    const loadedAfterRuntime = new Set(exporterEntries);
    bundler.onResolve({ filter: /^\./ }, async ({ path, kind, resolveDir, pluginData }) => {
      if (kind !== 'dynamic-import' || pluginData?.resolving) return undefined;
      const resolved = await bundler.resolve(path, { kind, resolveDir, pluginData: { resolving: true } });
      if (resolved.errors.length === 0) loadedAfterRuntime.add(resolved.path);
      return resolved;
    });
    bundler.onLoad({ filter: /\.ts$/ }, ({ path }) => {
      if (!loadedAfterRuntime.has(path)) return undefined;
      // On the first line, so that the source map's lines stay the file's own.
      const contents = `import ${JSON.stringify(runtimeEntry)}; ${readFileSync(path, 'utf8')}`;
      return { contents, loader: 'ts', resolveDir: dirname(path) };
    });
  },
};

/**
 * Runtime files the routes load as they are, not bundled into them:
 *
 * - The Node hooks (`cachier/register`) import the runtime's entry so that
 *   Node has the graph the rewritten modules `require("cachier")` linked
 *   before a CommonJS module asks for it (Node 22 fails to `require()` an ES
 *   module graph it is still loading); a copy of the runtime would not be
 *   that graph. The import keeps its path: the hooks' entry sits where its
 *   source does.
 * - The backend registry's descriptors (which the tag grammar reads) load
 *   server backends' cores and inspectors with `import()`; no route calls
 *   those loaders, so rather than a second copy of that code they load the
 *   files `tsc` emitted into `dist/runtime/`, by a path relative to the
 *   chunks' folder, where the registry lands.
 *
 * `checkExternalPaths` fails the build when such a path leads nowhere from
 * the file it ended up in.
 *
 * @type {import('esbuild').Plugin}
 */
const runtimeFromItsOwnFiles = {
  name: 'cachier-runtime-from-its-own-files',
  setup(bundler) {
    bundler.onResolve({ filter: /^\./ }, ({ path, kind, resolveDir }) => {
      const target = resolve(resolveDir, path);
      if (target === resolve('runtime/index.js')) return { path, external: true };
      if (kind !== 'dynamic-import' || !target.startsWith(resolve('runtime'))) return undefined;
      return { path: relative(resolve(transformerChunks), resolve('dist', relative('.', target))), external: true };
    });
  },
};

/** Fails the build when a relative import left to Node leads to no file from the output it ended up in. */
function checkExternalPaths({ outputs }) {
  for (const [output, { imports }] of Object.entries(outputs)) {
    for (const { path, external } of imports) {
      if (external && path.startsWith('.') && !existsSync(resolve(dirname(output), path))) {
        throw new Error(`bundle: ${output} imports ${path}, which is not there`);
      }
    }
  }
}

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Dependencies, optional drivers and the routes' tools stay imports, resolved from the user's node_modules.
  packages: 'external',
  sourcemap: true,
  // Stack traces map to the TypeScript sources by path and line; their text stays out of the install (about 0.6 MB).
  sourcesContent: false,
  allowOverwrite: true,
  logOverride: { 'import-is-undefined': 'error' },
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: [runtimeEntry, ...exporterEntries],
  outdir: 'dist/runtime',
  chunkNames: `${CHUNK_PREFIX}[hash]`,
  plugins: [builtinsOnFirstUse, oneRuntimeChunk],
});

/** The routes' entries: each public subpath and bin of `package.json` under `dist/transformer/routes/`, and the hooks `cachier/register` registers by path. */
const routeEntries = [
  'babel/babel',
  'bundlers/bun',
  'bundlers/esbuild',
  'bundlers/farm',
  'bundlers/rolldown',
  'bundlers/rollup',
  'bundlers/rsbuild',
  'bundlers/rspack',
  'bundlers/vite',
  'bundlers/webpack',
  'jest/jest',
  'node/register',
  'node/register-hooks',
  'ts-patch/index',
  'tsc7/cachier-tsc',
].map((entry) => `transformer/routes/${entry}.ts`);

const routes = await build({
  ...common,
  entryPoints: routeEntries,
  outbase: '.',
  outdir: 'dist',
  chunkNames: `transformer/${CHUNK_PREFIX}[hash]`,
  plugins: [builtinsOnFirstUse, runtimeFromItsOwnFiles],
  metafile: true,
});
checkExternalPaths(routes.metafile);
