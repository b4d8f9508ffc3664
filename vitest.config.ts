import { defineConfig } from 'vitest/config';
import cachier from './transformer/routes/bundlers/vite.js';

// Tests are split into tiers by folder and name (the rule is in CONTRIBUTING.md), so each tier pays only
// for the global setup it needs: the unit tier starts no server and packs nothing.
const SERVERS = ['test/support/mongo-server/global-setup.ts', 'test/support/servers/global-setup.ts'];
// Node 22 and 24 from npm, and the package packed once, for tests that install the tarball as users do.
const PACKED = ['test/support/node-versions/global-setup.ts', 'test/support/routes/pack-global-setup.ts'];

/** Tests against the real backend servers. */
const BACKENDS = [
  'test/runtime/backends/{conformance,conformance-servers,faults,inspector-conformance,shared-options,local-tier,bounds}.test.ts',
  'test/runtime/backends/{mongo,redis,postgres,s3}/**/*.test.ts',
  'test/runtime/{defects,reference-controls}.test.ts',
  'test/runtime/engine/forget.test.ts',
  'test/cli/{mongo,shortcuts}.test.ts',
  'test/bench/shared-backends.test.ts',
];
/** Tests that run a toolchain, a Node version or the packed package from an empty folder. */
const ROUTES = [
  'test/routes/**/*.test.ts',
  // Each runs a case under node --import cachier/register with the packed package.
  'test/runtime/{instance-methods,project-identity}.test.ts',
  'test/transformer/routes/bundlers/typed-controls.test.ts',
  'test/transformer/routes/babel/plugin.test.ts',
];
/** Tests that run real child processes and tools (the command, tspc, tsserver, processes sharing a cache folder): no server, no tarball. */
const INTEGRATION = [
  'test/cli/{commands,safety,doctor,terminal}.test.ts',
  'test/runtime/backends/file/{faults,processes,live-owner}.test.ts',
  'test/bench/smoke.test.ts',
  'test/transformer/engine/{dependencies,fixtures,diagnostics,build-hashes,module-loads}.test.ts',
  'test/transformer/routes/ts-patch/**/*.test.ts',
];
/** Tests that run the README's and the docs' examples, which use the servers and the packed package. */
const DOCS = ['test/docs/**/*.test.ts', 'test/cli/packed-backends.test.ts'];

export default defineConfig({
  // Our own suite runs through the Vite plugin too, so tests can tag functions.
  plugins: [cachier()],
  test: {
    setupFiles: ['test/support/isolate-cache-dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The default reporter for people, and a JSON file that .ci/run counts from (one file for all tiers).
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...INTEGRATION, ...BACKENDS, ...ROUTES, ...DOCS],
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
      // The bundled MongoDB-compatible server unless MONGODB_URI names a real one;
      // Redis, PostgreSQL and an S3 server unless REDIS_URL, DATABASE_URL, S3_ENDPOINT name others.
      { extends: true, test: { name: 'backends', include: BACKENDS, exclude: ['**/node_modules/**', ...DOCS], globalSetup: SERVERS } },
      { extends: true, test: { name: 'routes', include: ROUTES, globalSetup: PACKED } },
      { extends: true, test: { name: 'docs', include: DOCS, globalSetup: [...PACKED, ...SERVERS] } },
    ],
  },
});
