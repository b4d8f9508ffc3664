import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../../../support/routes/route-project.js';

const SOURCES = join(repoRoot, 'fixtures/bundlers/src');
const CONTROLS = join(SOURCES, 'controls.ts');

/** Type-checks the bundler fixture's sources (plus `extra` as `src/controls.ts`) as a plain `tsc --noEmit` would: no compiler plugin. */
function typeErrors(extra?: string): string[] {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (extra !== undefined && fileName === CONTROLS ? extra : readFile(fileName));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => (extra !== undefined && fileName === CONTROLS) || fileExists(fileName);
  const roots = readdirSync(SOURCES).map((name) => join(SOURCES, name));
  const program = ts.createProgram(extra === undefined ? roots : [...roots, CONTROLS], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('typed controls where the build cannot change types (bundlers, Babel)', () => {
  test('cacheOf(price) types every control of a tagged function, with no compiler plugin', () => {
    const controls = [
      "import { cacheOf } from 'cachier';",
      "import { price } from './prices.js';",
      'const controls = cacheOf(price);',
      'export const done: Promise<void>[] = [controls.clearCache(), controls.clearBeingCalculated()];',
      'export const stored: Promise<number> = controls.precache([2], 5);',
      'export const entries: Promise<number> = controls.cacheInfo().then((info) => info.entries);',
    ].join('\n');
    expect(typeErrors(controls)).toEqual([]);
  });

  test('cacheOf checks precache against the function’s own signature', () => {
    const wrongArgument = [
      "import { cacheOf } from 'cachier';",
      "import { price } from './prices.js';",
      "export const done = cacheOf(price).precache(['two'], 5);",
    ].join('\n');
    expect(typeErrors(wrongArgument).join('\n')).toMatch(/'string' is not assignable to type 'number'/);
  });

  test('price.clearCache() does not type-check there: the declared type is the function as written', () => {
    const direct = ["import { price } from './prices.js';", 'export const done = price.clearCache();'].join('\n');
    expect(typeErrors(direct).join('\n')).toMatch(/Property 'clearCache' does not exist/);
  });
});
