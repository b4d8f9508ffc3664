import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FixtureProject } from '../../support/transformer/fixture-project.js';

const EXPECTED_RESULTS = {
  square: 49,
  add: 5,
  cube: 8,
  negate: -5,
  total: 6,
  halveTwice: 2,
  greet: 'hello Ada',
  describe: ['number 1', 'string one'],
  // allowNonStaticMethods: `this` is not part of the key, so the second shop is served the first shop's entry.
  price: ['3 EUR', '3 EUR'],
  // With a hash that keys on `this`, each shop gets its own entry.
  localPrice: ['3 EUR', '3 USD'],
  tax: 0.2,
  numbered: '#3',
  // Keyed by the order's id alone (hash=keys.keyOfOrder), so the second order is served the first's entry.
  lines: [2, 2],
  size: 3,
};

const FIRST_RUN_CALLS = [
  'add',
  'cube',
  'default',
  'default-arrow',
  'describe',
  'describe',
  'greeting',
  'halve',
  'halve',
  'localPrice',
  'localPrice',
  'negate',
  'price',
  'size',
  'square',
  'tax',
  'total',
];
// forms.ts's clearCache() covers the functions that module creates once per load: not those of other
// modules, nor `greeting`, which is declared inside a function and created on each call.
const FORMS_MODULE_CALLS = FIRST_RUN_CALLS.filter((name) => !['default', 'default-arrow', 'greeting', 'size'].includes(name));

/** The same module as a formatter and a comment edit would leave it: other indentation, quotes, semicolons, comments, CRLF. */
function reformat(source: string): string {
  return source
    .replace('Squares a number.', 'Squares a number, reformatted.')
    .replace(/'/g, '"')
    .replace(/;$/gm, '')
    .replace(/^( +)/gm, (indent) => indent.repeat(2))
    .replace(/^(\s*)return /gm, '$1// the result\n$1return ')
    .replace(/\n/g, '\r\n');
}

function resultsOf(stdout: string): Record<string, unknown> {
  const { squareHits: _hits, ...results } = JSON.parse(stdout) as Record<string, unknown>;
  return results;
}

// The ES module project builds with sourceMap, the CommonJS one without: stack traces point at the user's
// TypeScript line in the first, at the emitted JavaScript in the second.
const FORMATS = [
  { format: 'esm', stackFrame: (): string => 'src/forms.ts:93:' },
  {
    format: 'cjs',
    stackFrame: (project: FixtureProject): string => `dist/forms.js:${lineOf(project.read('dist/forms.js'), 'exploded: ')}:`,
  },
];

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe.each(FORMATS)('a $format project built with tspc', ({ format, stackFrame }) => {
  const project = new FixtureProject('forms', `forms/${format}`);
  beforeAll(async () => {
    const build = await project.compile();
    expect(build.stdout + build.stderr).toBe('');
    expect(build.code).toBe(0);
  });
  afterAll(() => project.remove());

  test('the .d.ts declares every tagged function with its controls, whatever its form, and the module’s clearCache', () => {
    const declarations = project.read('dist/forms.d.ts');
    expect(declarations).toContain('export declare const square: __cachier.CachedFunction<(x: number) => number>;');
    expect(declarations).toContain('export declare const cube: __cachier.CachedFunction<(x: number) => number>;');
    expect(declarations).toContain('export declare const negate: __cachier.CachedFunction<(x: number) => Promise<number>>;');
    expect(declarations).toContain(
      'export declare const describe: __cachier.CachedFunction<((x: number) => string) & ((x: string) => string)>;',
    );
    expect(declarations).toContain('export declare function clearCache(): Promise<void>;');
  });

  test('the first run computes every function once; a second process is served from the file cache', async () => {
    const first = await project.run('main.js');
    expect(first.stderr).toBe('');
    expect(resultsOf(first.stdout)).toEqual(EXPECTED_RESULTS);
    expect(project.newCalls()).toEqual(FIRST_RUN_CALLS);

    const second = await project.run('main.js');
    expect(resultsOf(second.stdout)).toEqual(EXPECTED_RESULTS);
    expect(project.newCalls()).toEqual([]);
  });

  test('a type check alone (tspc --noEmit) accepts square.clearCache() and the module’s clearCache()', async () => {
    const check = await project.compile('--noEmit');
    expect(check.stdout).toBe('');
    expect(check.code).toBe(0);
    expect(project.read('src/main.ts')).toMatch(/await square\.clearCache\(\);[\s\S]*await clearCache\(\);/);
  });

  test('a stack trace through a tagged function points at the function’s own line', async () => {
    const run = await project.run('main.js', ['explode'], { NODE_OPTIONS: '--enable-source-maps' });
    expect(run.stderr).toContain('exploded: on purpose');
    expect(run.stderr).toContain(stackFrame(project));
  });

  test('reformatting the module and editing its comments does not recompute anything', async () => {
    project.write('src/forms.ts', reformat(project.read('src/forms.ts')));
    expect((await project.compile()).code).toBe(0);
    const run = await project.run('main.js');
    expect(resultsOf(run.stdout)).toEqual(EXPECTED_RESULTS);
    expect(project.newCalls()).toEqual([]);
  });

  test('editing one function’s body recomputes that function only', async () => {
    project.write('src/forms.ts', project.read('src/forms.ts').replace('return x * x', 'return x * x * 1'));
    expect((await project.compile()).code).toBe(0);
    const run = await project.run('main.js');
    expect(resultsOf(run.stdout)).toEqual(EXPECTED_RESULTS);
    expect(project.newCalls()).toEqual(['square']);
  });

  test('fn.clearCache() clears that function; the module’s clearCache() clears all of its functions', async () => {
    await project.run('main.js', ['clear-square']);
    await project.run('main.js');
    expect(project.newCalls()).toEqual(['square']);

    await project.run('main.js', ['clear-module']);
    await project.run('main.js');
    expect(project.newCalls()).toEqual(FORMS_MODULE_CALLS);
  });

  test('fn.forget(args) of a tagged function removes that call only: the next process computes it alone', async () => {
    await project.run('main.js');
    project.newCalls();
    const forget = await project.run('main.js', ['forget-square']);
    expect(forget.stdout.trim()).toBe('[true,false]');
    await project.run('main.js');
    expect(project.newCalls()).toEqual(['square']);
  });
});
