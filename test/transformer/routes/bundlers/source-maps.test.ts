import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { build } from 'esbuild';
import { rolldown } from 'rolldown';
import { afterAll, describe, expect, test } from 'vitest';
import esbuildPlugin from '../../../../transformer/routes/bundlers/esbuild.js';
import rolldownPlugin from '../../../../transformer/routes/bundlers/rolldown.js';
import { pricedProject } from '../../../support/transformer/priced-project.js';

/**
 * A bundle's source map leads the tagged function's code to the user's line,
 * through the plugin's map: the plugin hands its map to every bundler that
 * asks for maps (esbuild gets none when its build makes none).
 */
describe('bundler source maps lead through the rewrite to the user’s lines', () => {
  const { dir: project, prices, remove } = pricedProject('mapped');
  afterAll(remove);

  /**
   * Where the map of `outFile` leads the parameter of the bundle's `function price(n)` (esbuild may rename it
   * `price2`): the rewrite moved the function along its line (`export const price = __cachier_module.cachier((function
   * price(n`), so only the plugin's map leads it back to where it was written.
   */
  const originalOfParameter = (outFile: string): { line: number | null; column: number | null } => {
    const code = readFileSync(outFile, 'utf8').split('\n');
    const line = code.findIndex((text) => /function price\d*\(n/.test(text));
    const match = /function price\d*\(/.exec(code[line] ?? '');
    const column = (match?.index ?? 0) + (match?.[0].length ?? 0);
    const found = originalPositionFor(new TraceMap(readFileSync(`${outFile}.map`, 'utf8')), { line: line + 1, column });
    expect(found.source).toMatch(/prices\.ts$/);
    return { line: found.line, column: found.column };
  };
  /** Where the parameter is in the user's text: line 4, after `export function price(`. */
  const PARAMETER = { line: 4, column: 'export function price('.length };
  /** Bundles the project with esbuild and the plugin into `outfile`, with or without a source map. */
  const bundleWithEsbuild = (outfile: string, sourcemap: boolean) =>
    build({
      entryPoints: [prices],
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['cachier'],
      sourcemap,
      outfile,
      logLevel: 'silent',
      plugins: [esbuildPlugin()],
    });

  test('esbuild with sourcemap: the function’s parameter maps to where you wrote it', async () => {
    const outfile = join(project, 'dist/esbuild.mjs');
    await bundleWithEsbuild(outfile, true);
    expect(readFileSync(outfile, 'utf8')).toMatch(/sourceHash: "[\w-]{16}"/);
    expect(originalOfParameter(outfile)).toEqual(PARAMETER);
  });

  test('esbuild without sourcemap: the build has the rewrite and no map', async () => {
    const outfile = join(project, 'dist/esbuild-unmapped.mjs');
    await bundleWithEsbuild(outfile, false);
    const code = readFileSync(outfile, 'utf8');
    expect(code).toMatch(/sourceHash: "[\w-]{16}"/);
    expect(code).not.toMatch(/sourceMappingURL/);
  });

  test('Rolldown, with the plain plugin object: the function’s parameter maps to where you wrote it', async () => {
    const bundle = await rolldown({
      input: prices,
      platform: 'node',
      external: ['cachier'],
      plugins: [rolldownPlugin()],
      logLevel: 'silent',
    });
    await bundle.write({ file: join(project, 'dist/rolldown.mjs'), format: 'esm', sourcemap: true });
    await bundle.close();
    expect(originalOfParameter(join(project, 'dist/rolldown.mjs'))).toEqual(PARAMETER);
  });
});
