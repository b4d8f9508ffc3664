import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { OXC_PARSER, repoRoot, RouteProject } from '../support/routes/route-project.js';

// Stored rewrites and layouts (docs/toolchains.md#stored-rewrites) on cachier-tsc, from an empty folder with the packed
// tarball and TypeScript 7: what a build stores never hides a change from the next build.

const FRESH = '/** @cachier */\nexport function fresh(n: number): number {\n  return n + 1;\n}\n';

describe('cachier-tsc with stored rewrites and layouts', () => {
  const project = new RouteProject('stored-rewrites');
  const store = join(project.dir, 'node_modules/.cache/cachier/transforms');
  const build = async (env: Record<string, string> = {}): Promise<string> => {
    const result = await project.run('cachier-tsc', [], env);
    return result.output;
  };
  const isRewritten = (file: string): boolean => project.read(file).includes('__cachier');

  beforeAll(async () => {
    cpSync(join(repoRoot, 'fixtures/routes'), project.dir, { recursive: true });
    await project.install(inject('cachierTarball'), { typescript: '7.0.2', '@types/node': '20.19.25' }, { type: 'module' });
  }, 300_000);
  afterAll(() => project.remove());

  test('a build stores its rewrites and layout; the next one, with nothing changed, writes the same output', async () => {
    expect(await build()).toBe('');
    const [engine] = readdirSync(store);
    expect(readdirSync(join(store, engine as string)).length).toBeGreaterThan(1);
    const first = project.read('dist/prices.js');
    rmSync(join(project.dir, 'dist'), { recursive: true });
    expect(await build()).toBe('');
    expect(project.read('dist/prices.js')).toBe(first);
  });

  test('a tagged module added in a new folder after a build is rewritten by the next one', async () => {
    project.write('src/extra/fresh.ts', FRESH);
    expect(await build()).toBe('');
    expect(isRewritten('dist/extra/fresh.js')).toBe(true);
  });

  test('a bad tag in a new module fails the next build before anything is emitted', async () => {
    project.write('src/extra/bad.ts', '/** @cachier staleAftr=1h */\nexport function bad(): number {\n  return 1;\n}\n');
    rmSync(join(project.dir, 'dist'), { recursive: true });
    const output = await build();
    expect(output).toMatch(/src\/extra\/bad\.ts:1:\d+: cachier: unknown @cachier option "staleAftr"/);
    expect(existsSync(join(project.dir, 'dist'))).toBe(false);
    rmSync(join(project.dir, 'src/extra/bad.ts'));
  });

  test('an edited tsconfig (another outDir) is read again', async () => {
    project.write('tsconfig.json', project.read('tsconfig.json').replace('"outDir": "dist"', '"outDir": "built"'));
    expect(await build()).toBe('');
    expect(isRewritten('built/extra/fresh.js')).toBe(true);
    expect(isRewritten('built/prices.js')).toBe(true);
  });

  test('a parser that fails to load only after tsc emitted fails the build and leaves no tagged module unrewritten', async () => {
    expect(await build()).toBe('');
    const [engine] = readdirSync(store);
    // The stored rewrites go, the stored facts and layout stay: nothing needs the parser until tsc has emitted.
    for (const name of readdirSync(join(store, engine as string))) {
      const path = join(store, engine as string, name);
      const entry = JSON.parse(readFileSync(path, 'utf8')) as { result?: object };
      if (entry.result && 'edits' in entry.result) rmSync(path);
    }
    const parser = join(project.dir, 'node_modules/oxc-parser');
    renameSync(parser, `${parser}-aside`);
    try {
      // Its version is the real one's: the store's entries are kept per parser version.
      project.write('node_modules/oxc-parser/package.json', JSON.stringify({ name: 'oxc-parser', version: OXC_PARSER, main: 'index.js' }));
      project.write('node_modules/oxc-parser/index.js', "throw new Error('the native binding failed to load');\n");
      // built/ stays (tsc writes every module again): removing it would change the listing the stored layout was made with.
      const result = await project.run('cachier-tsc');
      expect(result.code).toBe(1);
      expect(result.output).toContain('cachier: the rewrite failed after tsc emitted: the native binding failed to load');
      expect(result.output).toContain('removed what tsc emitted for 2 modules with @cachier tags');
      for (const tagged of ['built/prices.js', 'built/prices.js.map', 'built/extra/fresh.js']) {
        expect(existsSync(join(project.dir, tagged))).toBe(false);
      }
      expect(existsSync(join(project.dir, 'built/main.js'))).toBe(true);
    } finally {
      rmSync(parser, { recursive: true, force: true });
      renameSync(`${parser}-aside`, parser);
    }
    expect(await build()).toBe('');
    expect(isRewritten('built/prices.js')).toBe(true);
  });

  test('CACHIER_TRANSFORM_CACHE=off builds without the store and leaves it alone', async () => {
    rmSync(store, { recursive: true });
    expect(await build({ CACHIER_TRANSFORM_CACHE: 'off' })).toBe('');
    expect(isRewritten('built/prices.js')).toBe(true);
    expect(existsSync(store)).toBe(false);
  });

  test('without the parser installed, the build stops before tsc writes anything and says how to install it', async () => {
    const parser = join(project.dir, 'node_modules/oxc-parser');
    renameSync(parser, `${parser}-aside`);
    try {
      rmSync(join(project.dir, 'built'), { recursive: true, force: true });
      const result = await project.run('cachier-tsc');
      expect(result.code).toBe(1);
      expect(result.output).toContain('needs the package oxc-parser, which is not installed');
      expect(result.output).toContain('npm install --save-dev oxc-parser');
      expect(existsSync(join(project.dir, 'built'))).toBe(false);
    } finally {
      renameSync(`${parser}-aside`, parser);
    }
  });
});
