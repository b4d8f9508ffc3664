import { NODE } from './support/routes/route-project.js';
import { describeToolRoute } from './support/routes/tool-route.js';

// Vitest 5 needs Node 22.12 or later.
describeToolRoute('Vite build and Vitest', {
  fixture: 'vite',
  dependencies: { vite: '8.4.0', vitest: '5.1.2' },
  node: NODE[22],
  build: ['vite', 'build'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'], vitest: ['vitest', 'run'] },
});
