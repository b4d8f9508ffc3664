import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * What each public entry loads (the built package, in a fresh process): a
 * plugin, run in every build, loads no backend code; an application's import
 * of the runtime loads nothing a route, the command or a server backend needs.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The files under `dist/` a fresh process loads to import `entry`, relative to `dist/`. */
function modulesLoadedBy(entry: string): string[] {
  const run = spawnSync(process.execPath, [join(root, 'test/support/module-loads/list.mjs'), join(root, 'dist', entry)], {
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stderr
    .split('\n')
    .filter((line) => line.startsWith('loaded '))
    .map((line) => relative(join(root, 'dist'), fileURLToPath(line.slice('loaded '.length))));
}

describe('modules each entry loads', () => {
  test('the engine loads the backend registry but no backend core and no part of the runtime engine', () => {
    const loaded = modulesLoadedBy('transformer/engine/index.js');
    expect(loaded).toContain('runtime/backends/registry.js');
    expect(loaded.filter((file) => /^runtime\/(engine\/|backends\/.*\/core\.js|backends\/sync-cores\.js)/.test(file))).toEqual([]);
  });

  test('a bundler plugin loads its bundled entry and the routes chunks: the engine and the registry, no backend core', () => {
    // Ours: the files under dist/ (its packages, unplugin and magic-string, are under node_modules/).
    const loaded = modulesLoadedBy('transformer/routes/bundlers/vite.js').filter((file) => !file.startsWith('..'));
    expect(loaded[0]).toBe('transformer/routes/bundlers/vite.js');
    expect(loaded.slice(1).length).toBeGreaterThan(0);
    expect(loaded.slice(1).filter((file) => !/^transformer\/chunk-[A-Z0-9]+\.js$/.test(file))).toEqual([]);
    const code = loaded.map((file) => readFileSync(join(root, 'dist', file), 'utf8')).join('\n');
    expect(code).toContain('function backendNamed(');
    for (const absent of ['createFileCore', 'createMemoryCore', 'createRedisCore', 'openInspector']) {
      expect(code).not.toMatch(new RegExp(`function ${absent}\\(`));
    }
  });

  test('the runtime API loads two files, its entry and one chunk, with the file and memory cores but nothing a route, the command or a server backend needs', () => {
    const loaded = modulesLoadedBy('runtime/index.js');
    // Each file costs Node's loader about a millisecond: the runtime's static code is one chunk (scripts/bundle.mjs).
    expect(loaded).toHaveLength(2);
    expect(loaded[0]).toBe('runtime/index.js');
    expect(loaded[1]).toMatch(/^runtime\/chunk-[A-Z0-9]+\.js$/);
    const code = loaded.map((file) => readFileSync(join(root, 'dist', file), 'utf8')).join('\n');
    for (const core of ['createFileCore', 'createMemoryCore']) expect(code).toContain(`function ${core}(`);
    // Named in the descriptors' dynamic imports, defined only in the chunks those load.
    for (const absent of ['createMongoCore', 'createRedisCore', 'createPostgresCore', 'createS3Core', 'openInspector']) {
      expect(code).not.toMatch(new RegExp(`function ${absent}\\(`));
    }
    expect(code).not.toMatch(/from "(chokidar|commander|oxc-parser|magic-string)"/);
  });

  test('a cold import loads none of the built-in modules the runtime needs only once a function is called, nor what their ES module facades would read', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const before = new Set(process.moduleLoadList); await import(${JSON.stringify(join(root, 'dist/runtime/index.js'))}); console.log(JSON.stringify(process.moduleLoadList.filter((name) => !before.has(name))));`,
      ],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    const added = JSON.parse(run.stdout) as string[];
    for (const builtin of ['crypto', 'zlib', 'v8']) expect(added).not.toContain(`NativeModule ${builtin}`);
    // Importing `node:fs` or `node:util` as ES modules reads their lazy exports: fs's streams, util's parseArgs.
    for (const builtin of ['stream', 'internal/fs/streams', 'internal/util/parse_args/parse_args']) {
      expect(added).not.toContain(`NativeModule ${builtin}`);
    }
  });
});
