import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FixtureProject } from '../../support/transformer/fixture-project.js';

describe('the source hash covers what a function depends on', () => {
  const project = new FixtureProject('dependencies');
  const rebuildAndRun = async (): Promise<string> => {
    const build = await project.compile();
    expect(build.stdout).toBe('');
    const run = await project.run('main.js');
    expect(run.stderr).toBe('');
    return run.stdout;
  };

  beforeAll(() => {
    cpSync(join(project.dir, 'packages/tiny-dep'), join(project.dir, 'node_modules/tiny-dep'), { recursive: true });
  });
  afterAll(() => project.remove());

  test('first run computes each function; the second is served from the cache', async () => {
    expect(JSON.parse(await rebuildAndRun())).toEqual({ gross: 12, bounce: 1, loud: 'HI!', plain: 2 });
    expect(project.newCalls()).toEqual(['bounce', 'gross', 'loud', 'plain']);
    await project.run('main.js');
    expect(project.newCalls()).toEqual([]);
  });

  test('reformatting a helper module and editing a function nobody uses recomputes nothing', async () => {
    const rates = project.read('src/rates.ts');
    project.write('src/rates.ts', rates.replace(/\n/g, '\n\n').replace("'nobody calls me'", "'still nobody'"));
    await rebuildAndRun();
    expect(project.newCalls()).toEqual([]);
  });

  test('editing a constant a helper uses recomputes the function that calls the helper, only', async () => {
    project.write('src/rates.ts', project.read('src/rates.ts').replace('VAT = 0.2', 'VAT = 0.25'));
    expect(JSON.parse(await rebuildAndRun())).toMatchObject({ gross: 12.5 });
    expect(project.newCalls()).toEqual(['gross']);
  });

  test('editing one of two functions that call each other recomputes their caller', async () => {
    project.write('src/rates.ts', project.read('src/rates.ts').replace('n <= 0 ? 1 : ping', 'n < 1 ? 1 : ping'));
    await rebuildAndRun();
    expect(project.newCalls()).toEqual(['bounce']);
  });

  test('a new version of a package recomputes the functions that use it', async () => {
    const manifest = 'node_modules/tiny-dep/package.json';
    project.write(manifest, project.read(manifest).replace('1.0.0', '1.0.1'));
    await rebuildAndRun();
    expect(project.newCalls()).toEqual(['loud']);
  });
});
