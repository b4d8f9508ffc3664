import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

// The README shows these files verbatim; here each one is compiled as a user
// would and run against the built package, and its output checked.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function runExample(name: string): string {
  const source = readFileSync(join(root, 'docs/examples', `${name}.ts`), 'utf8');
  const project = mkdtempSync(join(tmpdir(), `cachier-example-${name}-`));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'cachier'), 'dir');
  // The metrics libraries the exporter examples import, as a user would have installed them.
  symlinkSync(join(root, 'node_modules', 'prom-client'), join(project, 'node_modules', 'prom-client'), 'dir');
  symlinkSync(join(root, 'node_modules', '@opentelemetry'), join(project, 'node_modules', '@opentelemetry'), 'dir');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(join(project, `${name}.mjs`), outputText);
  return execFileSync(process.execPath, [join(project, `${name}.mjs`)], {
    encoding: 'utf8',
    env: { ...process.env, CACHIER_DIR: join(project, 'cache') },
  });
}

describe.each([
  ['quick-start', /^\[ 4, 8 \]\n\[ 4, 8 \]\n\{[^]*entries: 1,\s+hits: 1,\s+misses: 1,[^]*\}\n$/],
  ['keys', /^5\n5\nUnkeyableArgumentError: cachier: cannot build a cache key: argument 1 is an instance of Customer/],
  ['controls', /^144 0\n9\n144\n144\n\{ entries: 1, hits: 2, misses: 0, computations: 3 \}\n$/],
  ['reference-controls', /^page 3 page 2\n144\n144\n1\n\{ staleAfter: '1d', nextTime: false, backend: 'file' \}\n$/],
  [
    'metrics',
    /^\{ hits: 2, misses: 1, computations: 1, timedHits: 2 \}\ncachier_hits_total\{function="double"\} 2\ncachier_misses_total\{function="double"\} 1\n$/,
  ],
  ['opentelemetry', /^cachier\.hits 1\ncachier\.misses 1\ncachier\.entries 1\n$/],
  ['bounded', /^\{ entries: 3, evictions: 1 \}\n$/],
])('README example %s', (name, expected) => {
  test('is shown in the README as it is in docs/examples', () => {
    const code = readFileSync(join(root, 'docs/examples', `${name}.ts`), 'utf8');
    expect(readme).toContain(code);
  });

  test('runs and prints what its comments say', () => {
    expect(runExample(name)).toMatch(expected);
  });
});
