// The project's vitest config with one change, for the runs of test/routes/node-matrix.test.ts
// under other Node versions: results go to the JSON file named by CACHIER_MATRIX_REPORT,
// not to the outer run's results file.
import { defineConfig } from 'vitest/config';
import base from '../../../vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    reporters: [['json', { outputFile: process.env['CACHIER_MATRIX_REPORT'] }]],
  },
});
