import * as ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { createRewriter } from '../transformer/rewrite.js';

/** The JavaScript the rewrite produces for one module (no type checker, as in the Vite plugin). */
function rewrite(code: string, module: ts.ModuleKind = ts.ModuleKind.ESNext): string {
  return ts.transpileModule(code, {
    fileName: '/project/src/module.ts',
    compilerOptions: { module, target: ts.ScriptTarget.ES2022 },
    transformers: { before: [createRewriter(ts)] },
  }).outputText;
}

describe('the rewrite of tagged functions', () => {
  test('keeps a "use strict" prologue first and adds the runtime import after it', () => {
    const output = rewrite(`'use strict';\n/** @cachier */\nexport function f(x: number) { return x; }`);
    expect(output.indexOf("'use strict'")).toBe(0);
    expect(output).toContain('import * as __cachier from "cachier";');
  });

  test('a named default-exported function becomes a const exported as default', () => {
    const output = rewrite(`/** @cachier */\nexport default function named(x: number) { return x; }`);
    expect(output).toMatch(/const named = __cachier_track\(__cachier\.cachier\(function named\(x\)/);
    expect(output).toContain('export default named;');
  });

  test('a method of a class expression is wrapped in a static block', () => {
    const output = rewrite(`export const Shop = class {\n  /** @cachier */\n  price(item: string) { return item.length; }\n};`);
    expect(output).toMatch(/static \{\s*Object\.defineProperty\(this\.prototype, "price", \{ value: __cachier_track\(__cachier\.cachier\(this\.prototype\["price"\]/);
    expect(output).toContain('id: "module.ts#Shop.prototype.price"');
  });

  test('id= replaces the generated id and sourceHash= pins the hash', () => {
    const output = rewrite(`/** @cachier id="prices v2" sourceHash=v1 */\nexport function f(x: number) { return x; }`);
    expect(output).toContain('{ id: "prices v2", sourceHash: "v1" }');
  });

  test('options keep their kinds: durations and sizes as written, numbers as numbers, flags as booleans', () => {
    const output = rewrite(`/** @cachier staleAfter=1h30m waitForCalcTimeout=500 entrySizeLimit=64KB nextTime reload=false */\nexport function f(x: number) { return x; }`);
    expect(output).toContain('staleAfter: "1h30m", waitForCalcTimeout: 500, entrySizeLimit: "64KB", nextTime: true, reload: false');
  });

  test('an imported hash function is reached through a namespace import of its module, in CommonJS too', () => {
    const code = `import { keyOf } from './keys.js';\n/** @cachier hash=keyOf */\nexport function f(x: number) { return x; }`;
    expect(rewrite(code)).toContain('import * as __cachier_import_0 from "./keys.js";');
    expect(rewrite(code)).toContain('hash: __cachier_import_0.keyOf');
    expect(rewrite(code, ts.ModuleKind.CommonJS)).toContain('const __cachier_import_0 = require("./keys.js");');
  });

  test('a module without tags is left as it is', () => {
    const code = 'export function f(x: number) { return x; }\n';
    expect(rewrite(code)).toBe(ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
  });
});
