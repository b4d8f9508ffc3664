import { afterAll, describe, expect, test } from 'vitest';
import { FixtureProject } from '../../../support/transformer/fixture-project.js';

describe('TypeScript 6.0 through ts-patch 3.3 on this Node', () => {
  const project = new FixtureProject('forms', 'forms/esm');
  afterAll(() => project.remove());

  test('tspc runs TypeScript 6.0', async () => {
    expect((await project.compileWith('node_modules/typescript-6', '--version')).stdout).toMatch(/^Version 6\.0\./);
  });

  test('tspc builds the ES module forms project; a second process is served from the cache', async () => {
    const build = await project.compileWith('node_modules/typescript-6');
    expect(build.stdout + build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(project.read('dist/forms.d.ts')).toContain('export declare const square: __cachier.CachedFunction<(x: number) => number>;');

    const first = await project.run('main.js');
    expect(first.stderr).toBe('');
    const computed = project.calls().length;
    expect(computed).toBeGreaterThan(10);

    const second = await project.run('main.js');
    expect(second.stdout.replace(/"squareHits":\d+/, '')).toBe(first.stdout.replace(/"squareHits":\d+/, ''));
    expect(project.calls()).toHaveLength(computed);
  });
});
