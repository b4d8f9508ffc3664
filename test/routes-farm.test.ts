import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('Farm', {
  fixture: 'farm',
  dependencies: { '@farmfe/core': '1.7.11' },
  build: ['node', 'build.mjs'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
