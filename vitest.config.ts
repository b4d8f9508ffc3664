import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/isolate-cache-dir.ts'],
    // Starts the bundled MongoDB-compatible server unless MONGODB_URI names a real one.
    globalSetup: ['test/support/mongo-server/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The default reporter for people, and a JSON file that .ci/run counts from.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
