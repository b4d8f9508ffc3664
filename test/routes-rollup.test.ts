import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('Rollup', {
  fixture: 'rollup',
  dependencies: { rollup: '4.68.8', 'rollup-plugin-esbuild': '6.2.1', esbuild: '0.28.2' },
  build: ['rollup', '-c', '--silent'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
