import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('webpack', {
  fixture: 'webpack',
  dependencies: { webpack: '5.113.0', 'esbuild-loader': '4.5.0' },
  build: ['node', 'build.mjs'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
