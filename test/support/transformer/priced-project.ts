import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A tagged function (on line 4) that calls a helper of another module: the smallest module whose hash covers a second file. */
export const PRICES = [
  "import { rate } from './helper.js';",
  '',
  '/** @cachier */',
  'export function price(n: number): number {',
  '  return rate(n) + 1;',
  '}',
  '',
].join('\n');

/** The helper {@link PRICES} calls. */
export const HELPER = 'export function rate(n: number): number {\n  return n * 2;\n}\n';

/** A project in a new temporary folder: `package.json` (named `name`, an ES module package), `src/helper.ts` and `src/prices.ts`. */
export function pricedProject(name: string): { readonly dir: string; readonly helper: string; readonly prices: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `cachier-${name}-`));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module' }));
  const helper = join(dir, 'src/helper.ts');
  const prices = join(dir, 'src/prices.ts');
  writeFileSync(helper, HELPER);
  writeFileSync(prices, PRICES);
  return { dir, helper, prices, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
