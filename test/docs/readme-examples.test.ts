import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { backends } from '../../runtime/backends/registry.js';
import { OPTIONS } from '../../runtime/options/catalog.js';

// The README and the docs show these files verbatim, each in one document; here each one is
// compiled as a user would and run against the built package, and its output checked.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

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

const EXAMPLES: [name: string, document: string, expected: RegExp][] = [
  ['quick-start', 'README.md', /^\[ 4, 8 \]\n\[ 4, 8 \]\n\{[\s\S]*entries: 1,\s+hits: 1,\s+misses: 1,[\s\S]*\}\n$/],
  [
    'keys',
    'docs/keys-and-values.md',
    /^5\n5\nUnkeyableArgumentError: cachier: cannot build a cache key: argument 1 is an instance of Customer/,
  ],
  [
    'methods',
    'docs/keys-and-values.md',
    /^a-1 in May: 10\nb-2 in May: 99\nUnkeyableThisError: cachier: cannot key the call of Visitor\.greet\(\): this is an instance of Visitor/,
  ],
  ['forget', 'README.md', /^tea 10 EUR coffee 20 EUR\ntrue\nfalse\ntea 30 EUR coffee 20 EUR\n$/],
  [
    'events',
    'docs/events.md',
    /^cachier:miss double\ncachier:computation-started double\ncachier:computation-finished double\ncachier:hit double\n$/,
  ],
  ['bounded', 'docs/bounded-caches.md', /^\{ entries: 3, evictions: 1 \}\n$/],
  ['controls', 'docs/controls.md', /^144 0\n9\n144\n144\n\{ entries: 1, hits: 2, misses: 0, computations: 3 \}\n$/],
  [
    'reference-controls',
    'docs/python-parity.md',
    /^page 3 page 2\n144\n144\n1\n\{ staleAfter: '1d', nextTime: false, backend: 'file' \}\n$/,
  ],
  [
    'metrics',
    'docs/metrics.md',
    /^\{ hits: 2, misses: 1, computations: 1, timedHits: 2 \}\ncachier_hits_total\{function="double"\} 2\ncachier_misses_total\{function="double"\} 1\n$/,
  ],
  ['opentelemetry', 'docs/metrics.md', /^cachier\.hits 1\ncachier\.misses 1\ncachier\.entries 1\n$/],
];

describe.each(EXAMPLES)('example %s', (name, document, expected) => {
  test(`is shown in ${document} as it is in docs/examples`, () => {
    const code = readFileSync(join(root, 'docs/examples', `${name}.ts`), 'utf8');
    expect(readFileSync(join(root, document), 'utf8')).toContain(code);
  });

  test('runs and prints what its comments say', () => {
    expect(runExample(name)).toMatch(expected);
  });
});

describe('example file-cache.mjs', () => {
  const example = join(root, 'docs/examples/file-cache.mjs');

  test('is shown in docs/file-backend.md as it is', () => {
    expect(readFileSync(join(root, 'docs/file-backend.md'), 'utf8')).toContain(readFileSync(example, 'utf8'));
  });

  test('computes in its first run and is served from disk in the second', () => {
    // Its cacheDir is under os.tmpdir(), which TMPDIR moves into a folder of this test's own.
    const env = { ...process.env, TMPDIR: mkdtempSync(join(tmpdir(), 'cachier-example-file-')) };
    const run = () => execFileSync(process.execPath, [example], { cwd: root, encoding: 'utf8', env });
    expect(run()).toMatch(/^slowSquare\(12\) = 144 in \d+ms\n[\s\S]*hits: 0,\s+misses: 1,\s+staleHits: 0,\s+computations: 1,/);
    expect(run()).toMatch(/^slowSquare\(12\) = 144 in \d+ms\n[\s\S]*hits: 1,\s+misses: 0,\s+staleHits: 0,\s+computations: 0,/);
  });
});

test('every TypeScript example in docs/examples is shown and run above', () => {
  const files = readdirSync(join(root, 'docs/examples')).filter((file) => file.endsWith('.ts'));
  expect(files.map((file) => file.replace(/\.ts$/, '')).sort()).toEqual(EXAMPLES.map(([name]) => name).sort());
});

test('docs/options.md has a table row for every option of the catalog and every connection option', () => {
  const doc = readFileSync(join(root, 'docs/options.md'), 'utf8');
  const connections = backends.flatMap((backend) => (backend.connection ? [backend.connection.option] : []));
  const missing = [...Object.keys(OPTIONS), ...connections].filter((name) => !new RegExp(`^\\| [^|]*\`${name}\``, 'm').test(doc));
  expect(missing).toEqual([]);
});

test('the README fits its budget of 300 lines', () => {
  expect(readFileSync(join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(300);
});

test("the README's id row gives the default id cachier() derives in a built file, which names that file", () => {
  const row = readFileSync(join(root, 'README.md'), 'utf8')
    .split('\n')
    .find((line) => line.startsWith('| `id` |'));
  expect(row).toContain('With `cachier()` (not the tag), the default names the file it runs from (`my-app:dist/prices.js#prices`)');
  const project = mkdtempSync(join(tmpdir(), 'cachier-readme-id-'));
  mkdirSync(join(project, 'dist'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', 'cachier'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-app', type: 'module' }));
  // What tsc emits for a runtime-API module of src/prices.ts: the id names dist/, where it runs, not src/.
  writeFileSync(
    join(project, 'dist/prices.js'),
    "import { cachier } from 'cachier';\nconst prices = cachier(async function prices(symbol) { return [symbol.length]; }, { backend: 'memory' });\nconsole.log((await prices.cacheInfo()).id);\n",
  );
  expect(execFileSync(process.execPath, [join(project, 'dist/prices.js')], { encoding: 'utf8' })).toBe('my-app:dist/prices.js#prices\n');
});
