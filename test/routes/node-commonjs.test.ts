import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { NODE, RouteProject } from '../support/routes/route-project.js';

// Issue 23: CommonJS TypeScript on the loader routes (a package without "type": "module").

/** A CommonJS TypeScript module with one tagged function, run twice: computed once, then served from the cache. */
const TAGGED = `/** @cachier */
function double(x: number): number {
  console.log('computing');
  return x * 2;
}
console.log(double(21));
module.exports = { double };
`;

describe('CommonJS TypeScript under node --import cachier/register', () => {
  const project = new RouteProject('node-commonjs');
  beforeAll(async () => {
    await project.install(inject('cachierTarball'), { tsx: '4.23.15', '@types/node': '20.19.25' });
    for (const name of ['n22.cts', 'n24.cts', 'n22.ts', 'n24.ts', 'tsx.cts']) project.write(`src/${name}`, TAGGED);
  }, 300_000);
  afterAll(() => project.remove());

  for (const [version, extension] of [
    [22, 'cts'],
    [24, 'cts'],
    [22, 'ts'],
    [24, 'ts'],
  ] as const) {
    test(`Node ${version} runs a .${extension} file by type stripping with its tag applied: computed once across two processes`, async () => {
      const node = NODE[version];
      const first = await project.node(['--import', 'cachier/register', `src/n${version}.${extension}`], node);
      expect(first.stderr).toBe('');
      expect(first.stdout).toBe('computing\n42\n');
      const second = await project.node(['--import', 'cachier/register', `src/n${version}.${extension}`], node);
      expect(second.stdout).toBe('42\n');
    });
  }

  test('tsx compiling CommonJS TypeScript past the hooks: the functions run uncached, and a CACHIER_COMMONJS_TYPESCRIPT warning says so once', async () => {
    const run = await project.node(['--import', 'cachier/register', '--import', 'tsx', 'src/tsx.cts'], NODE[22]);
    expect(run.stdout).toBe('computing\n42\n');
    expect(run.stderr.match(/\[CACHIER_COMMONJS_TYPESCRIPT\]/g)).toHaveLength(1);
    expect(run.stderr).toContain('node --import cachier/register app.cts, without tsx');
  });

  for (const order of [
    ['cachier/register', 'tsx'],
    ['tsx', 'cachier/register'],
  ]) {
    test(`Node 20, a .cts file under --import ${order.join(' --import ')}: tsx compiles it past the hooks; it runs uncached and one CACHIER_COMMONJS_TYPESCRIPT warning says so`, async () => {
      const run = await project.node(['--import', order[0] as string, '--import', order[1] as string, 'src/tsx.cts']);
      expect(run.stdout).toBe('computing\n42\n');
      expect(run.stderr.match(/\[CACHIER_COMMONJS_TYPESCRIPT\]/g)).toHaveLength(1);
      expect(run.stderr).toContain('src/tsx.cts holds @cachier tags');
    });
  }
});
