import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  checkTags,
  ModuleGraph,
  moduleFacts,
  projectTransformStore,
  readFromDisk,
  TransformStore,
  transformModule,
  type TransformResult,
} from '../../../transformer/engine/index.js';

/** A project: main.ts tags `total`, which uses a helper of helpers.ts, which uses constants of rates.ts and limits.js and a package. */
const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'store-app', type: 'module' }),
  'src/rates.ts': 'export const RATE = 2;\n',
  'src/helpers.ts':
    "import { RATE } from './rates.js';\nimport { LIMIT } from './limits';\nimport { pad } from 'tiny-pad';\nexport function scale(n: number): number {\n  return Math.min(pad(n) * RATE, LIMIT);\n}\n",
  'src/limits.js': 'export const LIMIT = 100;\n',
  'src/main.ts':
    "import { scale } from './helpers.js';\n/** @cachier staleAfter=1h */\nexport function total(n: number): number {\n  return scale(n) + 1;\n}\n",
  'node_modules/tiny-pad/package.json': JSON.stringify({ name: 'tiny-pad', version: '1.0.0' }),
};

describe('rewrites stored between builds (node_modules/.cache/cachier)', () => {
  let dir: string;
  const path = (file: string): string => join(dir, file);
  const write = (file: string, text: string): void => {
    mkdirSync(join(path(file), '..'), { recursive: true });
    writeFileSync(path(file), text);
  };
  /** One build in a fresh graph (as a new process would have), with the project's store or none; its entries written as at the end of a build. */
  const build = (store: TransformStore | undefined = projectTransformStore(dir), file = 'src/main.ts'): TransformResult => {
    const result = transformModule({
      code: readFileSync(path(file), 'utf8'),
      fileName: path(file),
      graph: new ModuleGraph(readFromDisk, store),
    });
    // A tool asks for the map in the same turn (bundlers); the entry is written after it.
    result.map;
    store?.flush();
    return result;
  };
  const uncached = (file = 'src/main.ts'): TransformResult => build(undefined, file);
  const storeFolder = (): string => projectTransformStore(dir)?.folder as string;
  /** The files of every engine's folder (this test's engine runs from its sources, a child process's from dist/). */
  const storeFiles = (): string[] => {
    const transforms = path('node_modules/.cache/cachier/transforms');
    return readdirSync(transforms).flatMap((engine) => readdirSync(join(transforms, engine)).map((name) => join(transforms, engine, name)));
  };
  const isTable = (file: string): boolean => /\/stamps-[0-9a-f]{40}\.json$/.test(file);
  const entries = (): string[] => storeFiles().filter((file) => !isTable(file));
  const tables = (): string[] => storeFiles().filter(isTable);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachier-store-'));
    for (const [file, text] of Object.entries(FILES)) write(file, text);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a second build answers the stored rewrite: the same code, map and facts as without a store, read from the entry', () => {
    const first = build();
    expect(first.changed).toBe(true);
    const plain = uncached();
    expect({ code: first.code, map: first.map?.mappings, functions: first.functions }).toEqual({
      code: plain.code,
      map: plain.map?.mappings,
      functions: plain.functions,
    });
    const [entry] = entries();
    expect(entries()).toHaveLength(1);
    // The stored facts are what the next build answers (here altered by hand, to show they are read, not recomputed).
    const stored = JSON.parse(readFileSync(entry as string, 'utf8'));
    stored.result.functions[0].sourceHash = 'read-from-store';
    writeFileSync(entry as string, JSON.stringify(stored));
    const second = build();
    expect(second.functions[0]?.sourceHash).toBe('read-from-store');
    expect(second.code).toBe(plain.code);
    // The map was asked for in the first build, so the second reads it from the entry: the same map, with the code it was handed.
    expect(second.map?.toString()).toBe(plain.map?.toString());
    expect(second.generatedOffset(10)).toBe(plain.generatedOffset(10));
  });

  test.each([
    ['a constant two imports away', () => write('src/rates.ts', 'export const RATE = 3;\n')],
    [
      'the version of a package a helper imports',
      () => write('node_modules/tiny-pad/package.json', '{"name":"tiny-pad","version":"1.0.1"}'),
    ],
    ['a closer install of that package', () => write('src/node_modules/tiny-pad/package.json', '{"name":"tiny-pad","version":"9.0.0"}')],
    ['a TypeScript file that now wins the resolution of ./limits', () => write('src/limits.ts', 'export const LIMIT = 50;\n')],
  ])('after an edit of %s, the next build rehashes: the hash an engine without a store gives', (_name, edit) => {
    const before = build().functions[0]?.sourceHash;
    edit();
    const after = build().functions[0]?.sourceHash;
    expect(after).toBe(uncached().functions[0]?.sourceHash);
    expect(after).not.toBe(before);
  });

  /**
   * One build of main.ts in a new process (the engine from dist/, run in the
   * project's folder, with the project's store, written at exit): what it
   * printed (the function's id) and its stderr.
   */
  const buildInNewProcess = (env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string } => {
    const engine = join(import.meta.dirname, '../../../dist/transformer/engine/index.js');
    const script = `const e = await import(${JSON.stringify(engine)}); const file = ${JSON.stringify(path('src/main.ts'))};
      const graph = new e.ModuleGraph(e.readFromDisk, e.projectTransformStore(${JSON.stringify(dir)}));
      console.log(e.transformModule({ code: (await import('node:fs')).readFileSync(file, 'utf8'), fileName: file, graph }).functions[0].id);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    if (run.status !== 0) throw new Error(`the build in a new process failed:\n${run.stderr}`);
    return { stdout: run.stdout, stderr: run.stderr };
  };

  test('a renamed project gives new ids on the next build (each build a new process, as the store serves them)', () => {
    // Each process reads a project's package.json once, so the rename is seen by the next process: the store must not hide it.
    const idInNewProcess = (): string => buildInNewProcess().stdout.trim();
    expect(idInNewProcess()).toBe('store-app:src/main.ts#total');
    expect(entries()).toHaveLength(1);
    write('package.json', JSON.stringify({ name: 'renamed-app', type: 'module' }));
    expect(idInNewProcess()).toBe('renamed-app:src/main.ts#total');
  });

  test('NODE_DEBUG=cachier says of each tagged module whether its stored rewrite was reused', () => {
    const buildLog = (): string => buildInNewProcess({ NODE_DEBUG: 'cachier' }).stderr;
    expect(buildLog()).toMatch(/^CACHIER \d+: rewrite src\/main\.ts: not stored or changed since, computed$/m);
    expect(buildLog()).toMatch(/^CACHIER \d+: rewrite src\/main\.ts: stored, reused$/m);
    write('src/rates.ts', 'export const RATE = 7;\n');
    expect(buildLog()).toMatch(/^CACHIER \d+: rewrite src\/main\.ts: not stored or changed since, computed$/m);
  });

  test('bad tags are stored too: checkTags and moduleFacts answer them from the entry', () => {
    write('src/bad.ts', '/** @cachier staleAfter=soon */\nexport function bad(): number {\n  return 1;\n}\n');
    const code = readFileSync(path('src/bad.ts'), 'utf8');
    const store = projectTransformStore(dir);
    const facts = moduleFacts({ code, fileName: path('src/bad.ts'), graph: new ModuleGraph(readFromDisk, store) });
    store?.flush();
    expect(facts.diagnostics).toHaveLength(1);
    const [entry] = entries();
    const stored = JSON.parse(readFileSync(entry as string, 'utf8'));
    stored.result.diagnostics[0].message = 'from the store';
    writeFileSync(entry as string, JSON.stringify(stored));
    const again = checkTags(code, path('src/bad.ts'), new ModuleGraph(readFromDisk, projectTransformStore(dir)));
    expect(again.map((diagnostic) => diagnostic.message)).toEqual(['from the store']);
    expect(checkTags(code, path('src/bad.ts'))[0]?.message).toMatch(/staleAfter/);
  });

  test('the entries of one build share one table of stamps; an entry whose table is gone or altered is a miss', () => {
    write(
      'src/other.ts',
      "import { scale } from './helpers.js';\n/** @cachier staleAfter=1h */\nexport function other(n: number): number {\n  return scale(n) * 2;\n}\n",
    );
    const buildBoth = (): string[] => {
      const store = projectTransformStore(dir);
      const graph = new ModuleGraph(readFromDisk, store);
      const hashes = ['src/main.ts', 'src/other.ts'].map(
        (file) =>
          transformModule({ code: readFileSync(path(file), 'utf8'), fileName: path(file), graph }).functions[0]?.sourceHash as string,
      );
      store?.flush();
      return hashes;
    };
    const hashes = buildBoth();
    expect(entries()).toHaveLength(2);
    expect(tables()).toHaveLength(1);
    const table = tables()[0] as string;
    // Each path is written once, in the table; the entries point into it.
    expect(readFileSync(table, 'utf8').split(`"${path('src/rates.ts')}"`)).toHaveLength(2);
    for (const entry of entries()) expect(readFileSync(entry, 'utf8')).not.toContain('rates.ts');
    const markRead = (): void => {
      for (const entry of entries()) {
        const stored = JSON.parse(readFileSync(entry, 'utf8'));
        stored.result.functions[0].sourceHash = 'read-from-store';
        writeFileSync(entry, JSON.stringify(stored));
      }
    };
    markRead();
    expect(buildBoth()).toEqual(['read-from-store', 'read-from-store']);
    // A table that says rates.ts had other content: no entry pointing to it holds.
    const stamps = JSON.parse(readFileSync(table, 'utf8'));
    const rates = stamps.paths.indexOf(path('src/rates.ts'));
    for (const row of stamps.stamps) if (row[0] === rates && row[1] === 'text') row[2] = `other${row[2]}`;
    writeFileSync(table, JSON.stringify(stamps));
    markRead();
    expect(buildBoth()).toEqual(hashes);
    markRead();
    for (const file of tables()) rmSync(file);
    expect(buildBoth()).toEqual(hashes);
  });

  test('an unreadable entry or table is a miss, and a store that cannot be written never fails the build', () => {
    build();
    const [entry] = entries() as [string];
    const stored = JSON.parse(readFileSync(entry, 'utf8'));
    for (const stamps of ['not a list', [9999], [0.5]]) {
      writeFileSync(entry, JSON.stringify({ ...stored, stamps }));
      expect(build().code).toBe(uncached().code);
    }
    for (const table of tables()) writeFileSync(table, JSON.stringify({ format: 2, paths: 'none', stamps: [[7, 'text', 'x'], null] }));
    expect(build().code).toBe(uncached().code);
    for (const file of entries()) writeFileSync(file, '{ not json');
    expect(build().code).toBe(uncached().code);
    const blocked = new TransformStore(join(path('package.json'), 'inside-a-file'));
    expect(build(blocked).code).toBe(uncached().code);
  });

  test('entries of another engine and entries not written for 14 days are removed at the first write of a process', () => {
    const other = join(storeFolder(), '..', 'another-engine');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'entry.json'), '{}');
    build(new TransformStore(storeFolder()), 'src/main.ts');
    const old = join(storeFolder(), 'old.json');
    writeFileSync(old, '{}');
    const fifteenDaysAgo = (Date.now() - 15 * 24 * 60 * 60 * 1000) / 1000;
    utimesSync(old, fifteenDaysAgo, fifteenDaysAgo);
    write('src/rates.ts', 'export const RATE = 5;\n');
    build(new TransformStore(storeFolder()));
    expect(readdirSync(join(storeFolder(), '..'))).toEqual([storeFolder().split('/').pop()]);
    expect(entries()).not.toContain(old);
  });

  test('where the store is: beside the nearest package.json in node_modules, elsewhere by CACHIER_TRANSFORM_CACHE, nowhere when off', () => {
    expect(storeFolder()).toMatch(new RegExp(`^${dir}/node_modules/\\.cache/cachier/transforms/[0-9a-f]{16}$`));
    expect(projectTransformStore(path('src'))?.folder).toBe(storeFolder());
    rmSync(path('node_modules'), { recursive: true });
    expect(projectTransformStore(dir)).toBeUndefined();
    const previous = process.env['CACHIER_TRANSFORM_CACHE'];
    try {
      process.env['CACHIER_TRANSFORM_CACHE'] = path('elsewhere');
      expect(projectTransformStore(dir)?.folder).toMatch(new RegExp(`^${dir}/elsewhere/transforms/[0-9a-f]{16}$`));
      process.env['CACHIER_TRANSFORM_CACHE'] = 'off';
      expect(projectTransformStore(dir)).toBeUndefined();
    } finally {
      if (previous === undefined) delete process.env['CACHIER_TRANSFORM_CACHE'];
      else process.env['CACHIER_TRANSFORM_CACHE'] = previous;
    }
  });
});
