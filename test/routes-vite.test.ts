import { NODE } from './support/routes/route-project.js';
import { describeToolRoute } from './support/routes/tool-route.js';

// Vitest 5 needs Node 22.12 or later.
describeToolRoute('Vite build and Vitest', {
  fixture: 'vite',
  // TypeScript 7 (the Go compiler, no JavaScript API) crashed the old Vite plugin; the rewrite brings its own parser.
  dependencies: { vite: '8.4.0', vitest: '5.1.2', typescript: '7.0.2' },
  node: NODE[22],
  build: ['vite', 'build'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'], vitest: ['vitest', 'run'] },
});
