import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { originalPositionFor, TraceMap, type EncodedSourceMap } from '@jridgewell/trace-mapping';
import MagicString from 'magic-string';
import { afterAll, describe, expect, test } from 'vitest';
import { NODE, repoRoot } from '../../../support/routes/route-project.js';

const PRICES = [
  "import { rate } from './helper.js';",
  '',
  '/** @cachier */',
  'export function price(n) {',
  '  return rate(n) + 1;',
  '}',
  '',
].join('\n');

interface Output {
  readonly code?: string;
  readonly map?: EncodedSourceMap;
  readonly error?: string;
}

describe('the cachier/babel plugin', () => {
  const project = mkdtempSync(join(tmpdir(), 'cachier-babel-'));
  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'package.json'), '{ "name": "babel-user", "type": "module" }');
  writeFileSync(join(project, 'src/helper.js'), 'export function rate(n) {\n  return n * 2;\n}\n');
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  /** Runs Babel 8 (under Node 22) with only the cachier plugin on `code` as `src/prices.js`. */
  const transform = (code: string, inputSourceMap?: object): Output => {
    const input = JSON.stringify({ code, filename: join(project, 'src/prices.js'), inputSourceMap });
    return JSON.parse(
      execFileSync(NODE[22], [join(repoRoot, 'test/support/babel/transform.mjs')], { input, encoding: 'utf8', cwd: repoRoot }),
    ) as Output;
  };
  /** Where `text` in the output comes from, by the output's source map. */
  const originOf = (output: Output, text: string): { source: string | null; line: number | null; column: number | null } => {
    const lines = (output.code ?? '').split('\n');
    const line = lines.findIndex((candidate) => candidate.includes(text));
    const {
      source,
      line: originalLine,
      column,
    } = originalPositionFor(new TraceMap(output.map as EncodedSourceMap), { line: line + 1, column: (lines[line] ?? '').indexOf(text) });
    return { source, line: originalLine, column };
  };

  test('rewrites a tagged function into a cached one, with a source map into the file as written', () => {
    const output = transform(PRICES);
    expect(output.code).toContain('price = __cachier_module.cachier(price, {\n  id: "babel-user:src/prices.js#price"');
    expect(originOf(output, 'return rate(n) + 1;')).toEqual({ source: 'prices.js', line: 5, column: 2 });
    // The engine put the runtime's import before this one on the same line: Babel's positions are the file's own.
    expect(originOf(output, "import { rate } from './helper.js';")).toEqual({ source: 'prices.js', line: 1, column: 0 });
  });

  test('a helper edited between two files of one run gives the tagged function the hash a fresh run gives', () => {
    const helper = join(project, 'src/helper.js');
    const original = 'export function rate(n) {\n  return n * 2;\n}\n';
    const edited = 'export function rate(n) {\n  return n * 3 + 1;\n}\n';
    writeFileSync(helper, original);
    const input = JSON.stringify({ code: PRICES, filename: join(project, 'src/prices.js'), edit: { file: helper, text: edited } });
    const run = JSON.parse(
      execFileSync(NODE[22], [join(repoRoot, 'test/support/babel/transform-after-edit.mjs')], { input, encoding: 'utf8', cwd: repoRoot }),
    ) as { before: string; after: string };
    const fresh = transform(PRICES);
    writeFileSync(helper, original);
    const hashOf = (code: string | undefined): string | undefined => /sourceHash: "([^"]+)"/.exec(code ?? '')?.[1];
    expect(hashOf(run.after)).not.toBe(hashOf(run.before));
    expect(hashOf(run.after)).toBe(hashOf(fresh.code));
    expect(hashOf(transform(PRICES).code)).toBe(hashOf(run.before));
  });

  test('chains the file’s input source map: positions lead back to the code before the previous step', () => {
    const earlier = new MagicString(PRICES).prepend('// generated\n// by an earlier step\n');
    const inputSourceMap = earlier.generateMap({ source: 'original.js', hires: true, includeContent: true });
    expect(originOf(transform(earlier.toString(), inputSourceMap), 'return rate(n) + 1;')).toEqual({
      source: 'original.js',
      line: 5,
      column: 2,
    });
  });

  test('a bad tag fails with file:line:column and a Babel code frame at the tag', () => {
    const output = transform(PRICES.replace('/** @cachier */', '/** @cachier staleAfter=soon */'));
    expect(output.error).toMatch(/src\/prices\.js:3:25: cachier: option "staleAfter" expects milliseconds or a duration/);
    expect(output.error).toContain('> 3 | /** @cachier staleAfter=soon */');
    expect(output.error).toMatch(/\n {4}\| {25}\^{4}/);
  });

  test('leaves files without tags to Babel’s own parser', () => {
    expect(transform('export const x = 1; // mentions @cachier').code).toBe('export const x = 1; // mentions @cachier');
  });
});
