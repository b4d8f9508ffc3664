import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ModuleGraph, readFromDisk, TransformStore } from '../../../../transformer/engine/index.js';
import { storedLayout, storeLayout } from '../../../../transformer/routes/tsc7/stored-layout.js';
import type { ProjectLayout } from '../../../../transformer/routes/tsc7/tsc-route.js';

// cachier-tsc's stored layouts (docs/toolchains.md#stored-rewrites): which configs may be stored, and what a stored one is checked against.

describe('stored layouts of cachier-tsc', () => {
  let root: string;
  let project: string;
  let store: TransformStore;
  const write = (path: string, text: string): void => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  const layout = (): ProjectLayout => ({
    configDir: project,
    files: [join(project, 'src/main.ts')],
    outDir: join(project, 'dist'),
    rootDir: join(project, 'src'),
    noEmit: false,
  });
  /** Stores the layout in one build, then answers what the next build finds. */
  const storeThenReuse = (): ProjectLayout | undefined => {
    storeLayout(join(project, 'tsconfig.json'), layout(), new ModuleGraph(readFromDisk, store));
    store.flush();
    return storedLayout(join(project, 'tsconfig.json'), new ModuleGraph(readFromDisk, store));
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cachier-layout-'));
    project = join(root, 'app');
    store = new TransformStore(join(root, 'store', 'engine'));
    write(join(project, 'src/main.ts'), 'export const a = 1;\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('a config that extends a base outside its folder with compiler options only is stored, and checked against the base', () => {
    write(join(root, 'tsconfig.base.json'), '{ "compilerOptions": { "strict": true } }');
    write(join(project, 'tsconfig.json'), '{ "extends": "../tsconfig.base.json", "include": ["src"] }');
    expect(storeThenReuse()).toEqual(layout());
    write(join(root, 'tsconfig.base.json'), '{ "compilerOptions": { "strict": false } }');
    expect(storedLayout(join(project, 'tsconfig.json'), new ModuleGraph(readFromDisk, store))).toBeUndefined();
  });

  test('a base outside the folder that lists its own include is never stored: its files lie where no stamp looks', () => {
    write(join(root, 'tsconfig.base.json'), '{ "include": ["shared"] }');
    write(join(project, 'tsconfig.json'), '{ "extends": "../tsconfig.base.json" }');
    expect(storeThenReuse()).toBeUndefined();
  });

  test('an include that climbs out of the folder is never stored', () => {
    write(join(project, 'tsconfig.json'), '{ "include": ["src", "../shared"] }');
    expect(storeThenReuse()).toBeUndefined();
  });

  test('a new source file in a new folder makes the stored layout stale', () => {
    write(join(project, 'tsconfig.json'), '{ "include": ["src"] }');
    expect(storeThenReuse()).toEqual(layout());
    write(join(project, 'src/extra/more.ts'), 'export const b = 2;\n');
    expect(storedLayout(join(project, 'tsconfig.json'), new ModuleGraph(readFromDisk, store))).toBeUndefined();
  });
});
