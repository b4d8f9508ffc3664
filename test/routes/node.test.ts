import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { describeRoute } from '../support/routes/route-scenarios.js';
import { NODE, RouteProject, repoRoot } from '../support/routes/route-project.js';

// The rows of docs/toolchains.md that run through Node's module hooks (cachier/register).

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

describe('tsx imported before cachier/register', () => {
  const project = new RouteProject('tsx-order');
  beforeAll(async () => {
    cpSync(join(repoRoot, 'fixtures/routes'), project.dir, { recursive: true });
    await project.install(inject('cachierTarball'), { tsx: '4.23.15', '@types/node': '20.19.25' }, { type: 'module' });
  }, 300_000);
  afterAll(() => project.remove());

  test('runs the tagged functions uncached, and says so once with CACHIER_LOADER_ORDER and the fix', async () => {
    const run = await project.node(['--import', 'tsx', '--import', 'cachier/register', 'src/main.ts']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('NotCachedError');
    expect(run.stderr.match(/\[CACHIER_LOADER_ORDER\]/g)).toHaveLength(1);
    expect(run.stderr).toContain('Import cachier/register first: node --import cachier/register --import tsx app.ts');
  });
});
