import { NODE } from './support/routes/route-project.js';
import { describeToolRoute } from './support/routes/tool-route.js';

// Babel 8 needs Node 22.18 or later.
describeToolRoute('Babel 8 with @babel/cli', {
  fixture: 'babel-cli',
  dependencies: { '@babel/core': '8.1.3', '@babel/cli': '8.1.0', '@babel/preset-typescript': '8.0.7', '@babel/plugin-transform-modules-commonjs': '8.1.2' },
  node: NODE[22],
  build: ['sh', 'build.sh'],
  runs: { esm: ['node', 'dist/esm/main.js'], cjs: ['node', 'dist/cjs/main.js'] },
});

describeToolRoute('Babel 8 with babel-jest', {
  fixture: 'babel-jest',
  dependencies: { '@babel/core': '8.1.3', '@babel/preset-typescript': '8.0.7', 'babel-jest': '30.5.2', jest: '30.5.2' },
  node: NODE[22],
  // ESM only: cachier is an ES module, which Jest's CommonJS module registry cannot require.
  runs: { esm: ['node', '--experimental-vm-modules', 'node_modules/jest/bin/jest.js'] },
});

describeToolRoute('Babel 7 with @babel/cli', {
  fixture: 'babel-cli',
  dependencies: { '@babel/core': '7.29.13', '@babel/cli': '7.29.7', '@babel/preset-typescript': '7.29.7', '@babel/plugin-transform-modules-commonjs': '7.29.14' },
  build: ['sh', 'build.sh'],
  runs: { esm: ['node', 'dist/esm/main.js'], cjs: ['node', 'dist/cjs/main.js'] },
});
