import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('esbuild', {
  fixture: 'esbuild',
  dependencies: { esbuild: '0.28.2' },
  build: ['node', 'build.mjs'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
