import { defineConfig } from 'vitest/config';
import cachier from './transformer/routes/bundlers/vite.js';

export default defineConfig({
  // Our own suite runs through the Vite plugin too, so tests can tag functions.
  plugins: [cachier()],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/isolate-cache-dir.ts'],
    // Node 22 and 24 from npm; the bundled MongoDB-compatible server unless MONGODB_URI names a real one;
    // Redis, PostgreSQL and an S3 server unless REDIS_URL, DATABASE_URL, S3_ENDPOINT name others;
    // and the package packed once for the route tests, which install the tarball as users do.
    globalSetup: [
      'test/support/node-versions/global-setup.ts',
      'test/support/mongo-server/global-setup.ts',
      'test/support/servers/global-setup.ts',
      'test/support/routes/pack-global-setup.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The default reporter for people, and a JSON file that .ci/run counts from.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
