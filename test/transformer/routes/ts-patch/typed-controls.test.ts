import { afterAll, describe, expect, test } from 'vitest';
import { FixtureProject } from '../../../support/transformer/fixture-project.js';

const BAD_HASH = `/** Keyed by a text, but the function takes a number. @cachier hash=keyOfText */
export function total(n: number): number {
  return n * 2;
}

function keyOfText([text]: [string]): string {
  return text;
}
`;

describe('typed controls under tspc', () => {
  const project = new FixtureProject('typed-controls');
  afterAll(() => project.remove());

  test('the controls of a declaration, a const arrow, a function expression, an overloaded and a default-exported function type-check and are declared', async () => {
    const build = await project.compile();
    expect(build.stdout + build.stderr).toBe('');
    expect(build.code).toBe(0);
    const declarations = project.read('dist/forms.d.ts');
    expect(declarations).toContain('export declare const square: __cachier.CachedFunction<(x: number) => number>;');
    expect(declarations).toContain('export declare const cube: __cachier.CachedFunction<(x: number) => number>;');
    expect(declarations).toMatch(/declare const half: __cachier\.CachedFunction<\(x: number\) => Promise<number>>;\s*export default half;/);
  });

  test('a hash= binding whose type does not fit the function is a compile error at the tag', async () => {
    project.write('src/bad-hash.ts', BAD_HASH);
    const build = await project.compile('--noEmit');
    expect(build.code).not.toBe(0);
    expect(build.stdout).toMatch(
      /^src\/bad-hash\.ts\(1,55\): error TS2322: Type '\(\[text\]: \[string\]\) => string' is not assignable to type '\(args: \[n: number\], thisArg: any\) => unknown'\./m,
    );
    expect(build.stdout.match(/error TS/g)).toHaveLength(1);
  });
});
