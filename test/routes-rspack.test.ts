import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('Rspack', {
  fixture: 'rspack',
  dependencies: { '@rspack/core': '2.3.4' },
  build: ['node', 'build.mjs'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
