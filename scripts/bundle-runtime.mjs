/**
 * Bundles the runtime's public entries (`cachier`, `cachier/prometheus`,
 * `cachier/opentelemetry`) over the files `tsc` emitted for them, after
 * `tsc -p tsconfig.build.json`. A cold `import('cachier')` then loads a few
 * files instead of about 60: Node's ES module loader spends about half a
 * millisecond on each file it resolves, reads and links, which was most of
 * the import's cost.
 *
 * The entries share their code through chunks (esbuild's code splitting), so
 * they share one module state (defaults, metrics, caches); what the runtime
 * imports on first use (the server backends, the command's inspectors) stays
 * in chunks of its own, loaded when used. Chunks sit beside the entries in
 * `dist/runtime/`, since the runtime tells its own stack frames from the
 * caller's by that folder (`default-identity.ts`). The other files `tsc`
 * emitted stay for the routes and the command, which import the runtime's
 * stateless parts (errors, the backend registry, the option catalog).
 *
 * esbuild, not a second `tsc` pass or Rollup: one call bundles TypeScript
 * with code splitting and source maps to the original sources, and it is the
 * bundler our own esbuild route already supports.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const outdir = 'dist/runtime';
const CHUNK_PREFIX = 'chunk-';

for (const file of readdirSync(outdir)) {
  if (file.startsWith(CHUNK_PREFIX)) rmSync(join(outdir, file));
}

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
  logLevel: 'warning',
});
