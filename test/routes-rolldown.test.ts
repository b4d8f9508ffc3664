import { describeToolRoute } from './support/routes/tool-route.js';

describeToolRoute('Rolldown', {
  fixture: 'rolldown',
  dependencies: { rolldown: '1.3.3' },
  build: ['rolldown', '-c'],
  runs: { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] },
});
