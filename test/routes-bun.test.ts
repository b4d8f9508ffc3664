import { describeToolRoute } from './support/routes/tool-route.js';

// Bun builds (Bun.build with the plugin), Node runs the output.
describeToolRoute('Bun', {
  fixture: 'bun',
  dependencies: { bun: '1.4.5' },
  build: ['bun', 'build.ts'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
