import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { rewriteForBundler } from '../../../../transformer/routes/bundlers/plugin-hooks.js';
import cachier from '../../../../transformer/routes/bundlers/vite.js';
import { FixtureProject } from '../../../support/transformer/fixture-project.js';

interface PricesModule {
  readonly computations: number;
  price(symbol: string): Promise<number>;
  Catalog: { size(category: string): number };
  clearCache(): Promise<void>;
}

describe('the cachier/vite plugin', () => {
  const project = new FixtureProject('vite');
  let server: ViteDevServer;

  beforeAll(async () => {
    server = await createServer({
      root: project.dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [cachier()],
      server: { middlewareMode: true, watch: null },
    });
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  test('rewrites tagged functions and methods so repeated calls are served from the cache', async () => {
    const prices = (await server.ssrLoadModule(join(project.dir, 'src/prices.ts'))) as PricesModule;
    expect(await prices.price('ACME')).toBe(40);
    expect(await prices.price('ACME')).toBe(40);
    expect(prices.Catalog.size('tea')).toBe(3);
    expect(prices.Catalog.size('tea')).toBe(3);
    expect(prices.computations).toBe(2);

    await prices.clearCache();
    expect(await prices.price('ACME')).toBe(40);
    expect(prices.computations).toBe(3);
  });

  test('a bad tag fails the module with file:line:column and the fix', async () => {
    await expect(server.ssrLoadModule(join(project.dir, 'src/bad.ts'))).rejects.toThrow(
      /src\/bad\.ts:1:25: cachier: option "staleAfter" expects milliseconds or a duration such as 500ms, 30s, 5m, 3h, 3d, 2w or 1h30m, got "soon"/,
    );
  });

  test('leaves modules without tags (even ones that mention @cachier in strings) alone', () => {
    expect(rewriteForBundler('export const x = 1;', '/src/plain.ts')).toBeUndefined();
    expect(rewriteForBundler("const text = '/** @cachier */';", '/src/mentions.ts')).toBeUndefined();
  });

  test('an edit to a helper re-transforms the tagged module that uses it on its next load, with a new source hash', async () => {
    const rate = join(project.dir, 'src/rate.ts');
    writeFileSync(rate, 'export function rate(n: number): number {\n  return n * 2;\n}\n');
    writeFileSync(
      join(project.dir, 'src/quote.ts'),
      "import { cacheOf } from 'cachier';\nimport { rate } from './rate.js';\n\n/** @cachier backend=memory */\nexport function quote(n: number): number {\n  return rate(n);\n}\n\nexport const hash = async (): Promise<string> => (await cacheOf(quote).cacheInfo()).sourceHash;\n",
    );
    type QuoteModule = { quote(n: number): number; hash(): Promise<string> };
    const before = (await server.ssrLoadModule(join(project.dir, 'src/quote.ts'))) as QuoteModule;
    expect(before.quote(5)).toBe(10);
    const hashBefore = await before.hash();

    writeFileSync(rate, 'export function rate(n: number): number {\n  return n * 3;\n}\n');
    server.watcher.emit('change', rate);
    // The dev server handles a change asynchronously, as it would after its file watcher fired.
    const after = await vi.waitFor(async () => {
      const reloaded = (await server.ssrLoadModule(join(project.dir, 'src/quote.ts'))) as QuoteModule;
      expect(await reloaded.hash()).not.toBe(hashBefore);
      return reloaded;
    });
    expect(after.quote(5)).toBe(15);
  });
});
