import { join } from 'node:path';
import { describeRoute } from '../support/routes/route-scenarios.js';
import { NODE } from '../support/routes/route-project.js';

// Every row of the route table in docs/toolchains.md that builds with a compiler, from an empty folder
// that installs the packed tarball and the tool at the version named.

describeRoute({
  name: 'tsc 7.0.2 through cachier-tsc, ES modules',
  packageType: 'module',
  dependencies: { typescript: '7.0.2' },
  build: (project) => project.run('cachier-tsc'),
  start: (project) => project.node(['dist/main.js']),
});

describeRoute({
  name: 'tsc 7.0.2 through cachier-tsc, CommonJS',
  packageType: 'commonjs',
  dependencies: { typescript: '7.0.2' },
  build: (project) => project.run('cachier-tsc'),
  start: (project) => project.node(['dist/main.js']),
});

describeRoute({
  name: 'tspc with TypeScript 5.9.3 and ts-patch 3.3.0, ES modules',
  packageType: 'module',
  dependencies: { typescript: '5.9.3', 'ts-patch': '3.3.0' },
  build: (project) => project.run('tspc'),
  start: (project) => project.node(['dist/main.js']),
});

describeRoute({
  name: 'tspc with TypeScript 6.0.3 and ts-patch 3.3.0, CommonJS',
  packageType: 'commonjs',
  dependencies: { typescript: '6.0.3', 'ts-patch': '3.3.0' },
  build: (project) => project.run('tspc'),
  start: (project) => project.node(['dist/main.js']),
});

describeRoute({
  name: 'tspc with TypeScript 6.0.3 and ts-patch 4.0.1 on Node 22, ES modules',
  packageType: 'module',
  node: NODE[22],
  dependencies: { typescript: '6.0.3', 'ts-patch': '4.0.1' },
  build: (project) => project.run('tspc', [], {}, NODE[22]),
  start: (project) => project.node(['dist/main.js'], NODE[22]),
});

describeRoute({
  name: 'tspc beside TypeScript 7: typescript aliased to @typescript/typescript6, TypeScript 7 as typescript-7',
  packageType: 'module',
  dependencies: { typescript: 'npm:@typescript/typescript6@6.0.2', 'typescript-7': 'npm:typescript@7.0.2', 'ts-patch': '3.3.0' },
  // ts-patch looks for a package named "typescript"; @typescript/typescript6 keeps the compiler in its dependency @typescript/old.
  build: (project) => project.run('tspc', [], { TSP_COMPILER_TS_PATH: join(project.dir, 'node_modules/@typescript/old') }),
  start: (project) => project.node(['dist/main.js']),
});
