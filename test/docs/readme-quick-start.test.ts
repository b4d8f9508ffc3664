import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { RouteProject, repoRoot } from '../support/routes/route-project.js';

const example = join(repoRoot, 'docs/examples/tag-quick-start');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

describe('the README quick start, with npm install cachier typescript (the latest TypeScript)', () => {
  const project = new RouteProject('quick-start');
  beforeAll(async () => {
    cpSync(example, project.dir, { recursive: true });
    await project.install(inject('cachierTarball'), { typescript: 'latest', '@types/node': 'latest' }, { name: 'my-app', type: 'module' });
  }, 300_000);
  afterAll(() => project.remove());

  test('shows its tsconfig.json and src/prices.ts verbatim', () => {
    expect(readme).toContain(readFileSync(join(example, 'tsconfig.json'), 'utf8').trimEnd());
    expect(readme).toContain(readFileSync(join(example, 'src/prices.ts'), 'utf8').trimEnd());
  });

  test('npx cachier-tsc builds it; the first run computes, the second is served from the cache', async () => {
    const build = await project.run('cachier-tsc');
    expect(build.output).toBe('');
    expect(build.code).toBe(0);
    const first = await project.node(['dist/prices.js']);
    expect(first.stdout).toBe('computing ACME...\n400\nmy-app:src/prices.ts#fetchPrice\n');
    const second = await project.node(['dist/prices.js']);
    expect(second.stdout).toBe('400\nmy-app:src/prices.ts#fetchPrice\n');
  });

  test('npx cachier doctor finds nothing to fix in that build', async () => {
    const doctor = await project.run('cachier', ['doctor'], { NO_COLOR: '1' });
    expect(doctor.stdout).toContain('built output: 1 built file in dist holds tags, all wrapped');
    expect(doctor.stdout).not.toMatch(/✗/);
    expect(doctor.code).toBe(0);
  });

  test('plain tsc of that TypeScript emits it uncached, and cachier doctor finds it', async () => {
    const plain = await project.run('tsc');
    expect(plain.code).toBe(0);
    expect(project.read('dist/prices.js')).not.toContain('__cachier');
    const doctor = await project.run('cachier', ['doctor'], { NO_COLOR: '1' });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      /✗ built output: tagged functions emitted unwrapped \(they run uncached\): dist\/prices\.js:\d+ fetchPrice/,
    );
    expect(doctor.stdout).toContain('npx cachier-tsc');
  });
});
