import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import cachier from '../transformer/vite.js';
import { FixtureProject } from './support/transformer/fixture-project.js';

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

  test('leaves modules without tags (even ones that mention @cachier in strings), styles and packages alone', () => {
    const plugin = cachier();
    expect(plugin.transform('export const x = 1;', '/src/plain.ts')).toBeNull();
    expect(plugin.transform("const text = '/** @cachier */';", '/src/mentions.ts')).toBeNull();
    expect(plugin.transform('/* @cachier */ .a {}', '/src/style.css')).toBeNull();
    expect(plugin.transform('/** @cachier */ export function f() {}', '/node_modules/dep/index.js')).toBeNull();
  });

  test('applies the tag in JavaScript modules too', () => {
    const output = cachier().transform('/** @cachier */ export function f() {}', '/src/script.js');
    expect(output?.code).toContain('f = __cachier_module.cachier(f, { id: "script.js#f"');
  });
});
