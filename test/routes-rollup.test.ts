import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('Rollup', {
  fixture: 'rollup',
  dependencies: { rollup: '4.68.8', 'rollup-plugin-esbuild': '6.2.1', esbuild: '0.28.2' },
  build: ['rollup', '-c', '--silent'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});

// The TypeScript plugin compiles on load, before cachier's transform: the JavaScript route of the engine.
describeToolRoute('Rollup with @rollup/plugin-typescript', {
  fixture: 'rollup-typescript',
  dependencies: { rollup: '4.68.8', '@rollup/plugin-typescript': '12.3.1', typescript: '6.0.3', tslib: '2.8.1' },
  build: ['rollup', '-c', '--silent'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
