import { describeToolRoute } from './support/routes/tool-route.js';

// The project has TypeScript 7 (the Go compiler, no JavaScript API): the rewrite does not use it.
describeToolRoute('esbuild', {
  fixture: 'esbuild',
  dependencies: { esbuild: '0.28.2', typescript: '7.0.2' },
  typeCheck: ['tsc', '--noEmit', '-p', '.'],
  build: ['node', 'build.mjs'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
