import { NODE } from '../support/routes/route-project.js';
import { describeToolRoute, type ToolRoute } from '../support/routes/tool-route.js';

// Every bundler, Babel and Jest route, as a user's project sets it up, each against the same behaviours
// (`describeToolRoute`): shared across processes and formats, edits and helper edits recompute,
// reformatting does not, a bad tag fails with file:line:column. One row per route.
const ESM_AND_CJS = { esm: ['node', 'dist/main.mjs'], cjs: ['node', 'dist/main.cjs'] };
const BABEL_8 = { '@babel/core': '8.1.3', '@babel/preset-typescript': '8.0.7' };

const routes: Record<string, ToolRoute> = {
  // Vitest 5 needs Node 22.12 or later. TypeScript 7 (the Go compiler, no JavaScript API) crashed the old Vite plugin.
  'Vite build and Vitest': {
    fixture: 'vite',
    dependencies: { vite: '8.4.0', vitest: '5.1.2', typescript: '7.0.2' },
    node: NODE[22],
    build: ['vite', 'build'],
    runs: { ...ESM_AND_CJS, vitest: ['vitest', 'run'] },
  },
  Rollup: {
    fixture: 'rollup',
    dependencies: { rollup: '4.68.8', 'rollup-plugin-esbuild': '6.2.1', esbuild: '0.28.2' },
    build: ['rollup', '-c', '--silent'],
    runs: ESM_AND_CJS,
  },
  // The TypeScript plugin compiles on load, before cachier's transform: the JavaScript route of the engine.
  'Rollup with @rollup/plugin-typescript': {
    fixture: 'rollup-typescript',
    dependencies: { rollup: '4.68.8', '@rollup/plugin-typescript': '12.3.1', typescript: '6.0.3', tslib: '2.8.1' },
    build: ['rollup', '-c', '--silent'],
    runs: ESM_AND_CJS,
  },
  Rolldown: { fixture: 'rolldown', dependencies: { rolldown: '1.3.3' }, build: ['rolldown', '-c'], runs: ESM_AND_CJS },
  // The project has TypeScript 7 (no JavaScript API): the rewrite does not use it.
  esbuild: {
    fixture: 'esbuild',
    dependencies: { esbuild: '0.28.2', typescript: '7.0.2' },
    typeCheck: ['tsc', '--noEmit', '-p', '.'],
    build: ['node', 'build.mjs'],
    runs: ESM_AND_CJS,
  },
  webpack: {
    fixture: 'webpack',
    dependencies: { webpack: '5.113.0', 'esbuild-loader': '4.5.0' },
    build: ['node', 'build.mjs'],
    runs: ESM_AND_CJS,
  },
  Rspack: { fixture: 'rspack', dependencies: { '@rspack/core': '2.3.4' }, build: ['node', 'build.mjs'], runs: ESM_AND_CJS },
  Rsbuild: { fixture: 'rsbuild', dependencies: { '@rsbuild/core': '2.3.2' }, build: ['rsbuild', 'build'], runs: ESM_AND_CJS },
  // Bun builds (Bun.build with the plugin), Node runs the output.
  Bun: { fixture: 'bun', dependencies: { bun: '1.4.5' }, build: ['bun', 'build.ts'], runs: ESM_AND_CJS },
  Farm: { fixture: 'farm', dependencies: { '@farmfe/core': '1.7.11' }, build: ['node', 'build.mjs'], runs: ESM_AND_CJS },
  // Babel 8 needs Node 22.18 or later.
  'Babel 8 with @babel/cli': {
    fixture: 'babel-cli',
    dependencies: { ...BABEL_8, '@babel/cli': '8.1.0', '@babel/plugin-transform-modules-commonjs': '8.1.2' },
    node: NODE[22],
    build: ['sh', 'build.sh'],
    runs: { esm: ['node', 'dist/esm/main.js'], cjs: ['node', 'dist/cjs/main.js'] },
  },
  // ESM only: cachier is an ES module, which Jest's CommonJS module registry cannot require.
  'Babel 8 with babel-jest': {
    fixture: 'babel-jest',
    dependencies: { ...BABEL_8, 'babel-jest': '30.5.2', jest: '30.5.2' },
    node: NODE[22],
    runs: { esm: ['node', '--experimental-vm-modules', 'node_modules/jest/bin/jest.js'] },
  },
  'Babel 7 with @babel/cli': {
    fixture: 'babel-cli',
    dependencies: {
      '@babel/core': '7.29.13',
      '@babel/cli': '7.29.7',
      '@babel/preset-typescript': '7.29.7',
      '@babel/plugin-transform-modules-commonjs': '7.29.14',
    },
    build: ['sh', 'build.sh'],
    runs: { esm: ['node', 'dist/esm/main.js'], cjs: ['node', 'dist/cjs/main.js'] },
  },
};

for (const [name, route] of Object.entries(routes)) describeToolRoute(name, route);
