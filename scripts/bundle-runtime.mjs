/**
 * Bundles the runtime's public entries (`cachier`, `cachier/prometheus`,
 * `cachier/opentelemetry`) over the files `tsc` emitted for them, after
 * `tsc -p tsconfig.build.json`. A cold `import('cachier')` then loads two
 * files instead of about 60: Node's ES module loader spends up to a
 * millisecond on each file it resolves, reads and links, which was most of
 * the import's cost.
 *
 * The entries share their code through one chunk (esbuild's code splitting,
 * see `oneRuntimeChunk`), so they share one module state (defaults, metrics,
 * caches); what the runtime imports on first use (the server backends, the
 * command's inspectors) stays in chunks of its own, loaded when used. Chunks sit beside the entries in
 * `dist/runtime/`, since the runtime tells its own stack frames from the
 * caller's by that folder (`default-identity.ts`). The other files `tsc`
 * emitted stay for the routes and the command, which import the runtime's
 * stateless parts (errors, the backend registry, the option catalog).
 *
 * esbuild, not a second `tsc` pass or Rollup: one call bundles TypeScript
 * with code splitting and source maps to the original sources, and it is the
 * bundler our own esbuild route already supports.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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

const outdir = 'dist/runtime';
const CHUNK_PREFIX = 'chunk-';

for (const file of readdirSync(outdir)) {
  if (file.startsWith(CHUNK_PREFIX)) rmSync(join(outdir, file));
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

await build({
  entryPoints: ['runtime/index.ts', 'runtime/metrics-prometheus.ts', 'runtime/metrics-opentelemetry.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Dependencies and optional drivers stay imports, resolved from the user's node_modules.
  packages: 'external',
  chunkNames: `${CHUNK_PREFIX}[hash]`,
  sourcemap: true,
  // Stack traces map to the TypeScript sources by path and line; their text stays out of the install (about 0.6 MB).
  sourcesContent: false,
  allowOverwrite: true,
  plugins: [builtinsOnFirstUse, oneRuntimeChunk],
  logOverride: { 'import-is-undefined': 'error' },
  logLevel: 'warning',
});
