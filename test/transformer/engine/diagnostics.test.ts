import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FixtureProject, type ProcessResult } from '../../support/transformer/fixture-project.js';

/** Every bad tag of fixtures/bad-tags, as `file(line,column)` and the message after `cachier: `. */
const EXPECTED: ReadonlyArray<readonly [string, string]> = [
  [
    'src/bindings.ts(5,19)',
    'option "hash" names "keyOfOrdr", which is not declared or imported in this module; declare it, import it, or fix the name',
  ],
  [
    'src/bindings.ts(10,19)',
    'option "hash" expects the name of a function in scope, such as getCollection (not a string), got "keyOfOrder"',
  ],
  [
    'src/conflicts.ts(3,22)',
    'backend=mongo serves async functions only (its driver is asynchronous); declare syncOnMongo async or choose backend=file',
  ],
  ['src/conflicts.ts(8,29)', 'option "cacheDir" applies to backend=file only, but backend=memory; remove one of them'],
  ['src/conflicts.ts(13,14)', 'option "mongetter" applies to backend=mongo only, but backend=file; remove one of them'],
  ['src/conflicts.ts(23,5)', 'two tagged functions share the cache id "shared"; give one of them its own id=...'],
  [
    'src/conflicts.ts(28,17)',
    'this module has @cachier functions, so cachier generates an exported clearCache() that clears all of their caches; rename this clearCache',
  ],
  [
    'src/forms.ts(1,5)',
    'generator is a generator: its results are iterators, which cannot be cached; collect the values in a normal function and tag that',
  ],
  ['src/forms.ts(7,7)', 'constructors cannot be cached: they build a new object on every call'],
  ['src/forms.ts(10,7)', 'getters and setters cannot be cached; move the work into a tagged method and call it from the accessor'],
  ['src/forms.ts(16,5)', '@cachier tags functions only, and limit is not bound to an arrow function or function expression'],
  ['src/forms.ts(19,5)', 'declare mutable with const: reassigning a cached function would bypass its cache'],
  ['src/forms.ts(23,7)', 'object literal methods cannot be tagged; tag a function declaration or a class method instead'],
  ['src/forms.ts(29,5)', 'ambient has no body to cache (it is declared, not implemented)'],
  ['src/forms.ts(33,5)', 'put the @cachier tag on the first overload of overloaded or on its implementation'],
  ['src/forms.ts(41,5)', 'twice is tagged twice (on an overload and on its implementation); keep one tag'],
  ['src/forms.ts(47,7)', 'functions inside a namespace cannot be tagged; move inside to the top level of the module'],
  [
    'src/hoisting.ts(1,22)',
    'compute is used here while the module loads, above its @cachier declaration, which the rewrite turns into a const that is not hoisted; move this code below the declaration',
  ],
  [
    'src/methods.ts(4,7)',
    'describe is an instance method, so cachier keys each call by its instance too (instances never share entries), but Pantry has no ' +
      '[cachierKey]() method to key an instance by: every call would throw UnkeyableThisError. Give Pantry a [cachierKey]() method returning ' +
      "what tells its instances apart (import { cachierKey } from 'cachier'), add allowNonStaticMethods to this tag to share one cache across " +
      'all instances on purpose, key with hash=..., or make describe static',
  ],
  [
    'src/more-ids.ts(1,5)',
    'the cache id "shared" is already used by a tagged function of src/conflicts.ts; give one of them its own id=...',
  ],
  ['src/options.ts(1,14)', 'unknown @cachier option "staleAftr"; did you mean "staleAfter"?'],
  ['src/options.ts(6,25)', 'option "staleAfter" expects milliseconds or a duration such as 500ms, 30s, 5m, 3h, 3d, 2w or 1h30m, got "3x"'],
  ['src/options.ts(11,23)', 'option "nextTime" expects true or false (a bare flag means true), got "yes"'],
  ['src/options.ts(16,22)', 'option "backend" expects one of memory, file, mongo, redis, postgres, s3, got "sqlite"'],
  ['src/options.ts(21,20)', 'option "lease" must be longer than 0ms, got "0s"'],
  ['src/options.ts(26,14)', 'option "staleAfter" needs a value: write staleAfter=<value>'],
  ['src/options.ts(31,28)', 'option "staleAfter" is given twice; keep one'],
  ['src/options.ts(36,17)', 'the value of "id" opens a " quote that is never closed; close it on the same tag'],
  ['src/options.ts(43,4)', 'a JSDoc block may hold one @cachier tag; merge the options into the first one'],
  [
    'src/options.ts(49,22)',
    'backend=redis needs redis=<name of a binding in scope> (an ioredis client, e.g. redis: new Redis(process.env.REDIS_URL)); add it to the tag',
  ],
  ['src/options.ts(54,34)', 'option "metricsSamplingRate" expects a number from 0 to 1, got "2"'],
];

/** The build's errors as `[file(line,column), message]`, in tsc's order. */
function errorsOf(build: ProcessResult): Array<[string, string]> {
  return [...build.stdout.matchAll(/^(\S+\(\d+,\d+\)): error TS(\d+): (.*)$/gm)].map((match) => {
    expect(match[2]).toBe('94001');
    return [match[1] as string, (match[3] as string).replace(/^cachier: /, '')];
  });
}

describe('bad tags are compile errors with file, line, column and a fix', () => {
  const project = new FixtureProject('bad-tags');
  afterAll(() => project.remove());

  describe('with the program transformer (transformProgram: true)', () => {
    let build: ProcessResult;
    beforeAll(async () => {
      build = await project.compile();
    });

    test('tspc exits non-zero', () => {
      expect(build.code).not.toBe(0);
    });

    test.each(EXPECTED)('%s: %s', (position, message) => {
      expect(errorsOf(build)).toContainEqual([position, message]);
    });

    test('reports nothing else', () => {
      expect(errorsOf(build)).toHaveLength(EXPECTED.length);
    });

    test('tspc --noEmit reports the same errors', async () => {
      const check = await project.compile('--noEmit');
      expect(check.code).not.toBe(0);
      expect(errorsOf(check)).toEqual(errorsOf(build));
    });
  });

  test('the plain source-transformer entry (without transformProgram) fails the build and says what to add', async () => {
    const plain = await project.compile('-p', `${project.dir}/tsconfig.plain.json`);
    expect(plain.code).not.toBe(0);
    expect(plain.stdout).toContain('error TS94001: cachier: the plugin entry of "cachier/transformer" needs "transformProgram": true');
  });
});
