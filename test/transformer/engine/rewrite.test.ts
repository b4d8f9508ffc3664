import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { describe, expect, test } from 'vitest';
import { transformModule, type TransformInput } from '../../../transformer/engine/index.js';

// No package.json on the disk above it: the module's folder names the project (`src:module.ts#f`).
const FILE = '/project/src/module.ts';

function rewrite(code: string, input: Partial<TransformInput> = {}): string {
  const result = transformModule({ code, fileName: FILE, ...input });
  expect(result.diagnostics).toEqual([]);
  return result.code;
}

describe('the rewrite engine', () => {
  test('keeps a "use strict" prologue first and adds the runtime import after it, on the same line', () => {
    const output = rewrite(`'use strict';\n/** @cachier */\nexport function f(x: number) { return x; }`);
    expect(output.split('\n')[0]).toMatch(/^'use strict'; import \* as __cachier from "cachier";/);
  });

  test('keeps a shebang on the first line', () => {
    const output = rewrite(`#!/usr/bin/env node\n/** @cachier */\nexport function f(x: number) { return x; }`);
    expect(output.split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(output.split('\n')[1]).toMatch(/^import \* as __cachier from "cachier";/);
  });

  test('adds or removes no line before the end of the module, so stack traces keep their lines', () => {
    const code = [
      'import { helper } from "./helper.js";',
      '/** @cachier staleAfter=1h */',
      'export async function f(x: number): Promise<number> {',
      '  return helper(x);',
      '}',
      '/** @cachier */',
      'export function g(x: string): string;',
      'export function g(x: number): number;',
      'export function g(x: unknown) { return x; }',
      'export class Shop {',
      '  /** @cachier allowNonStaticMethods */',
      '  price(item: string) { return item.length; }',
      '}',
    ].join('\n');
    const output = rewrite(code).split('\n');
    expect(output.length).toBeGreaterThanOrEqual(13);
    expect(output[3]).toBe('  return helper(x);');
    expect(output[8]).toContain('function g(x: unknown) { return x; }');
    expect(output[11]).toBe('  price(item: string) { return item.length; }');
  });

  test('a TypeScript declaration becomes a const, an overloaded one typed by its overloads', () => {
    const output = rewrite(
      `/** @cachier */\nexport function g(x: string): string;\nexport function g(x: number): number;\nexport function g(x: unknown) { return x; }`,
    );
    expect(output).toContain(
      'export const g: __cachier.CachedFunction<((x: string) => string) & ((x: number) => number)> = __cachier_module.cachier((function g(x: unknown) { return x; })!, {',
    );
    expect(output).not.toContain('export function g(x: string): string;');
  });

  test('a named default-exported function becomes a const exported as default', () => {
    const output = rewrite(`/** @cachier */\nexport default function named(x: number) { return x; }`);
    expect(output).toMatch(/const named = __cachier_module\.cachier\(\(function named\(x: number\)/);
    expect(output).toContain('export default named;');
  });

  test('a method is wrapped in a static block of its class', () => {
    const shop = `export const Shop = class {\n  /** @cachier allowNonStaticMethods */\n  price(item: string) { return item.length; }\n};`;
    const output = rewrite(shop);
    expect(output).toContain(
      'static { Object.defineProperty(this.prototype, "price", { value: __cachier_module.cachier(this.prototype["price"], { id: "src:module.ts#Shop.prototype.price"',
    );
  });

  test('id= replaces the generated id and sourceHash= pins the hash', () => {
    const output = rewrite(`/** @cachier id="prices v2" sourceHash=v1 */\nexport function f(x: number) { return x; }`);
    expect(output).toContain('{ id: "prices v2", sourceHash: "v1" }');
  });

  test('options keep their kinds: durations and sizes as written, numbers as numbers, flags as booleans', () => {
    const output = rewrite(
      `/** @cachier staleAfter=1h30m waitForCalcTimeout=500 entrySizeLimit=64KB nextTime reload=false */\nexport function f(x: number) { return x; }`,
    );
    expect(output).toContain('staleAfter: "1h30m", waitForCalcTimeout: 500, entrySizeLimit: "64KB", nextTime: true, reload: false');
  });

  test('backendTimeout= is a duration, refused at 0 like lease', () => {
    expect(rewrite(`/** @cachier backendTimeout=500ms */\nexport async function f(x: number) { return x; }`)).toContain(
      'backendTimeout: "500ms"',
    );
    const result = transformModule({
      code: `/** @cachier backendTimeout=0s */\nexport async function f(x: number) { return x; }`,
      fileName: FILE,
    });
    expect(result.diagnostics).toMatchObject([{ message: 'option "backendTimeout" must be longer than 0ms, got "0s"' }]);
  });

  test('an imported hash function is reached through a namespace import of its module, with require in CommonJS', () => {
    const code = `import { keyOf } from './keys.js';\n/** @cachier hash=keyOf */\nexport const f = (x: number) => x;`;
    expect(rewrite(code)).toContain('import * as __cachier_import_0 from "./keys.js";');
    expect(rewrite(code)).toContain('hash: __cachier_import_0.keyOf');
    expect(rewrite(code, { format: 'cjs' })).toContain('const __cachier_import_0 = require("./keys.js");');
  });

  test('a module without tags is left as it is', () => {
    const result = transformModule({ code: 'export function f(x: number) { return x; }\n', fileName: FILE });
    expect(result.changed).toBe(false);
    expect(result.map).toBeUndefined();
  });

  test('bad tags come back as diagnostics with line and column, and their functions stay unwrapped', () => {
    const result = transformModule({ code: `\n/** @cachier staleAftr=1h */\nexport function f(x: number) { return x; }`, fileName: FILE });
    expect(result.diagnostics).toMatchObject([
      { line: 2, column: 14, message: 'unknown @cachier option "staleAftr"; did you mean "staleAfter"?' },
    ]);
    expect(result.code).not.toContain('__cachier');
  });

  test('the source map leads each token of the rewritten code back to the user’s line and column', () => {
    const code = `/** @cachier */\nexport async function f(x: number) {\n  return x + 1;\n}\n`;
    const result = transformModule({ code, fileName: FILE });
    const map = new TraceMap(result.map!.toString());
    const line = result.code.split('\n')[1] as string;
    const column = line.indexOf('async function f');
    expect(originalPositionFor(map, { line: 2, column })).toMatchObject({ line: 2, column: 'export '.length });
    expect(result.originalOffset(result.code.indexOf('return x + 1'))).toBe(code.indexOf('return x + 1'));
    // Generated code stands for its tag.
    expect(result.originalOffset(result.code.indexOf('sourceHash'))).toBe(code.indexOf('@cachier'));
  });
});

describe('the rewrite of JavaScript emitted from TypeScript', () => {
  const source = [
    'import { keyOf } from "./keys.js";',
    '/** @cachier hash=keyOf */',
    'export function f(x: number): number { return x * 2; }',
    '/** @cachier */',
    'export default function (y: number) { return y; }',
  ].join('\n');
  const commonJs = [
    '"use strict";',
    'Object.defineProperty(exports, "__esModule", { value: true });',
    'exports.f = f;',
    'exports.default = default_1;',
    'function f(x) { return x * 2; }',
    'function default_1(y) { return y; }',
  ].join('\n');

  test('takes ids and source hashes from the TypeScript source, equal to that source’s own rewrite', () => {
    const fromSource = transformModule({ code: source, fileName: FILE });
    const fromEmitted = transformModule({
      code: commonJs,
      fileName: '/project/dist/module.js',
      original: { code: source, fileName: FILE },
      format: 'cjs',
    });
    expect(fromEmitted.functions).toEqual(fromSource.functions);
    expect(fromEmitted.functions.map((fn) => fn.id)).toEqual(['src:module.ts#f', 'src:module.ts#default']);
  });

  test('rebinds declarations after them and assigns CommonJS exports again', () => {
    const { code } = transformModule({
      code: commonJs,
      fileName: '/project/dist/module.js',
      original: { code: source, fileName: FILE },
      format: 'cjs',
    });
    expect(code).toMatch(
      /function f\(x\) \{ return x \* 2; \} f = __cachier_module\.cachier\(f, \{ id: "src:module\.ts#f", sourceHash: "[\w-]+", hash: __cachier_import_0\.keyOf \}\); exports\.f = f;/,
    );
    expect(code).toMatch(
      /function default_1\(y\) \{ return y; \} default_1 = __cachier_module\.cachier\(default_1, .*\); exports\.default = default_1;/,
    );
    expect(code.split('\n')[0]).toBe(
      '"use strict"; const __cachier = require("cachier"); const __cachier_module = __cachier.moduleCaches(); const __cachier_import_0 = require("./keys.js"); ',
    );
    expect(code).toContain('exports.clearCache = function clearCache()');
  });
});
