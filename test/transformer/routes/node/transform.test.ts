import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { TagError, transformModule } from '../../../../transformer/engine/index.js';
import { transformForNode } from '../../../../transformer/routes/node/node-transform.js';

const SOURCE = '/** @cachier */\nexport function double(x: number): number {\n  return x * 2;\n}\n';
const EMITTED = '/** @cachier */\nexport function double(x) {\n    return x * 2;\n}\n';

/** A project folder with a package.json (ids are relative to it), `src/` and `dist/`. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cachier-node-transform-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "math-app", "type": "module" }');
  return dir;
}

describe('what cachier/register does with each module Node loads', () => {
  test('built JavaScript whose source map leads to the TypeScript source gets that source’s id and hash', () => {
    const dir = project();
    writeFileSync(join(dir, 'src/math.ts'), SOURCE);
    const map = { version: 3, file: 'math.js', sources: ['../src/math.ts'], names: [], mappings: 'AAAA;AACA;AACA;AACA' };
    writeFileSync(join(dir, 'dist/math.js.map'), JSON.stringify(map));
    const output = transformForNode(join(dir, 'dist/math.js'), `${EMITTED}//# sourceMappingURL=math.js.map\n`, 'esm');
    const expected = transformModule({ code: SOURCE, fileName: join(dir, 'src/math.ts') }).functions[0];
    expect(output).toContain(
      `double = __cachier_module.cachier(double, { id: "math-app:src/math.ts#double", sourceHash: "${expected?.sourceHash}" });`,
    );
    expect(output).toMatch(/\n\/\/# sourceMappingURL=data:application\/json;base64,[\w+/=]+\n$/);
  });

  test('built JavaScript without a source map is rewritten from the tags in its own comments, and its ids name the .js file', () => {
    const dir = project();
    const output = transformForNode(join(dir, 'dist/math.js'), EMITTED, 'esm');
    expect(output).toContain('double = __cachier_module.cachier(double, { id: "math-app:dist/math.js#double"');
  });

  test('TypeScript run as CommonJS loads the runtime with require', () => {
    const dir = project();
    const output = transformForNode(join(dir, 'src/math.cts'), SOURCE, 'cjs');
    expect(output.split('\n')[0]).toBe(
      'const __cachier = require("cachier"); const __cachier_module = __cachier.moduleCaches(); /** @cachier */',
    );
  });

  test('a bad tag throws a TagError naming file:line:column', () => {
    const dir = project();
    expect(() =>
      transformForNode(join(dir, 'src/bad.ts'), '\n/** @cachier staleAfter=soon */\nexport function f() { return 1; }\n', 'esm'),
    ).toThrow(TagError);
    expect(() =>
      transformForNode(join(dir, 'src/bad.ts'), '\n/** @cachier staleAfter=soon */\nexport function f() { return 1; }\n', 'esm'),
    ).toThrow(/src\/bad\.ts:2:25: cachier: option "staleAfter" expects/);
  });

  test('modules without tags are returned as they are', () => {
    const dir = project();
    expect(transformForNode(join(dir, 'src/plain.ts'), 'export const x = 1;\n', 'esm')).toBe('export const x = 1;\n');
  });
});
