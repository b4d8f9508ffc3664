import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildFailure, build } from 'esbuild';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';
import { transformModule } from '../../../../transformer/engine/index.js';
import esbuildPlugin from '../../../../transformer/routes/bundlers/esbuild.js';
import { rewriteForBundler } from '../../../../transformer/routes/bundlers/plugin-hooks.js';
import { PRICES, pricedProject } from '../../../support/transformer/priced-project.js';

describe('the rewrite every bundler plugin applies', () => {
  const { dir: project, prices, remove } = pricedProject('bundled');
  writeFileSync(join(project, 'src/unused.ts'), 'export const nobody = 1;\n');
  afterAll(remove);
  const engineFacts = transformModule({ code: PRICES, fileName: prices }).functions[0];

  test('names the project files the tagged functions’ hashes cover, for the bundler to watch', () => {
    expect(rewriteForBundler(PRICES, `${prices}?v=3`)?.dependencies).toEqual([join(project, 'src/helper.ts')]);
  });

  test('JavaScript an earlier plugin compiled gets the ids and hashes of the TypeScript on disk', () => {
    const compiled = ts.transpileModule(PRICES, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const rewritten = rewriteForBundler(compiled, prices);
    // JavaScript stays JavaScript: no type annotations, no non-null assertions.
    expect(rewritten?.code).not.toMatch(/: number|\)!/);
    expect(rewritten?.code).toContain(`{ id: "${engineFacts?.id}", sourceHash: "${engineFacts?.sourceHash}" }`);
  });

  test('loads the runtime with require in CommonJS modules and with import elsewhere', () => {
    const commonJs =
      "const { rate } = require('./helper.js');\n\n/** @cachier */\nfunction price(n) {\n  return rate(n) + 1;\n}\nmodule.exports = { price };\n";
    writeFileSync(join(project, 'src/prices.cjs'), commonJs);
    writeFileSync(join(project, 'src/prices.js'), commonJs);
    expect(rewriteForBundler(commonJs, join(project, 'src/prices.cjs'))?.code).toMatch(/^const __cachier = require\("cachier"\);/);
    expect(rewriteForBundler(commonJs, join(project, 'src/prices.js'))?.code).toMatch(/^const __cachier = require\("cachier"\);/);
    expect(rewriteForBundler(PRICES, prices)?.code).toMatch(/^import \* as __cachier from "cachier";/);
  });

  test('a bad tag throws with file:line:column', () => {
    const bad = join(project, 'src/bad.ts');
    const code = PRICES.replace('@cachier', '@cachier staleAfter=soon');
    writeFileSync(bad, code);
    expect(() => rewriteForBundler(code, bad)).toThrow(/src\/bad\.ts:3:25: cachier: option "staleAfter"/);
  });

  test('esbuild reports a bad tag as its own errors are, at the tag, without a stack', async () => {
    const bad = join(project, 'src/bad-esbuild.ts');
    writeFileSync(bad, PRICES.replace('@cachier', '@cachier staleAfter=soon'));
    const failure = await build({ entryPoints: [bad], bundle: true, write: false, logLevel: 'silent', plugins: [esbuildPlugin()] }).catch(
      (error: unknown) => error as BuildFailure,
    );
    expect(failure).toMatchObject({ errors: [expect.objectContaining({ pluginName: 'cachier' })] });
    const [error] = (failure as BuildFailure).errors;
    expect(error?.text).toMatch(/src\/bad-esbuild\.ts:3:25: cachier: option "staleAfter" expects milliseconds or a duration/);
    expect(error?.location).toMatchObject({ line: 3, column: 24, lineText: '/** @cachier staleAfter=soon */' });
    expect(error?.detail).toBeUndefined();
  });
});
