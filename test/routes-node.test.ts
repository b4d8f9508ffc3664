import { describeRoute } from './support/routes/route-scenarios.js';
import { NODE } from './support/routes/route-project.js';

// The README's "Pick your toolchain" rows that run through Node's module hooks (cachier/register).

describeRoute({
  name: 'node --import cachier/register on Node 24 (type stripping)',
  packageType: 'module',
  node: NODE[24],
  dependencies: {},
  start: (project) => project.node(['--import', 'cachier/register', 'src/main.ts'], NODE[24]),
});

describeRoute({
  name: 'node --import cachier/register on Node 22 (type stripping)',
  packageType: 'module',
  node: NODE[22],
  dependencies: {},
  start: (project) => project.node(['--import', 'cachier/register', 'src/main.ts'], NODE[22]),
});

describeRoute({
  name: 'node --import cachier/register --import tsx on Node 20',
  packageType: 'module',
  dependencies: { tsx: '4.23.15' },
  start: (project) => project.node(['--import', 'cachier/register', '--import', 'tsx', 'src/main.ts']),
});

describeRoute({
  name: 'node --import cachier/register on JavaScript emitted by plain tsc 7, ES modules, Node 20',
  packageType: 'module',
  dependencies: { typescript: '7.0.2' },
  build: (project) => project.run('tsc'),
  start: (project) => project.node(['--import', 'cachier/register', 'dist/main.js']),
});

describeRoute({
  name: 'node --import cachier/register on JavaScript emitted by plain tsc 7, CommonJS, Node 20',
  packageType: 'commonjs',
  dependencies: { typescript: '7.0.2' },
  build: (project) => project.run('tsc'),
  start: (project) => project.node(['--import', 'cachier/register', 'dist/main.js']),
});
