import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('Rsbuild', {
  fixture: 'rsbuild',
  dependencies: { '@rsbuild/core': '2.3.2' },
  build: ['rsbuild', 'build'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
