import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, createBuilder, createLogger, createServer, type InlineConfig, type Logger, type Rolldown } from 'vite';
import { afterAll, describe, expect, test } from 'vitest';
import cachier from '../../../../transformer/routes/bundlers/vite.js';
import { repoRoot } from '../../../support/transformer/fixture-project.js';
import { pricedProject } from '../../../support/transformer/priced-project.js';

/** A logger that keeps what Vite warns, and prints nothing. */
function quietLogger(): { readonly logger: Logger; readonly warnings: string[] } {
  const warnings: string[] = [];
  const logger = createLogger('silent');
  logger.warn = (message) => void warnings.push(message);
  logger.warnOnce = logger.warn;
  return { logger, warnings };
}

/** The settings every Vite call of these tests shares (the project at `root`, the plugin, a logger keeping the warnings), and those warnings. */
function viteSettings(root: string): { readonly config: InlineConfig; readonly warnings: string[] } {
  const { logger, warnings } = quietLogger();
  return {
    warnings,
    config: {
      root,
      configFile: false,
      logLevel: 'warn',
      customLogger: logger,
      plugins: [cachier()],
      // Vite keeps an installed cachier out of what it bundles or runs for SSR; the link to this repository would be taken in without this.
      ssr: { external: ['cachier'] },
    },
  };
}

describe('the cachier/vite plugin, by what the build targets', () => {
  // The priced project plus a second tagged module, both behind one entry, with cachier installed as a link to this repository.
  const { dir: project, prices, remove } = pricedProject('vite-browser');
  writeFileSync(
    join(project, 'src/stock.ts'),
    '/** @cachier */\nexport function stock(item: string): number {\n  return item.length;\n}\n',
  );
  writeFileSync(join(project, 'src/index.ts'), "export { price } from './prices.js';\nexport { stock } from './stock.js';\n");
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(repoRoot, join(project, 'node_modules/cachier'), 'dir');
  afterAll(remove);

  const buildLibrary = async (ssr: boolean): Promise<{ warnings: string[]; code: string }> => {
    const { config, warnings } = viteSettings(project);
    const built = await build({ ...config, build: { lib: { entry: 'src/index.ts', formats: ['es'] }, ssr, write: false, minify: false } });
    const [output] = [built as Rolldown.RolldownOutput | Rolldown.RolldownOutput[]].flat();
    return { warnings, code: output?.output.map((chunk) => (chunk.type === 'chunk' ? chunk.code : '')).join('\n') ?? '' };
  };

  test('a build.lib library without build.ssr warns once, naming a tagged module and the fix', async () => {
    const { warnings, code } = await buildLibrary(false);
    // What the warning is about: the bundle holds cachier's browser build, which throws when it loads.
    expect(code).toContain('this is a browser build');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /\[plugin cachier\] src\/(prices|stock)\.ts has @cachier tags, but this build bundles it for a library for the browser/,
    );
    expect(warnings[0]).toContain('build.ssr: true beside build.lib, or vite build --ssr <entry>');
    expect(warnings[0]).toContain('in code for the browser, do not tag functions');
  });

  test('the same library built with build.ssr (for Node) says nothing', async () => {
    const { warnings, code } = await buildLibrary(true);
    expect(code).toMatch(/from "cachier"/);
    expect(warnings).toEqual([]);
  });

  test('a build of client and server environments (vite build --app) warns of the client bundle only', async () => {
    const { config, warnings } = viteSettings(project);
    const builder = await createBuilder({
      ...config,
      builder: {},
      environments: {
        client: { build: { write: false, rollupOptions: { input: 'src/stock.ts' } } },
        ssr: { build: { write: false, ssr: 'src/prices.ts' } },
      },
    });
    await builder.buildApp();
    expect(warnings).toEqual([expect.stringContaining('src/stock.ts has @cachier tags, but this build bundles it for the browser:')]);
  });

  test('a dev server loading tagged modules for SSR says nothing', async () => {
    const { config, warnings } = viteSettings(project);
    const server = await createServer({
      ...config,
      server: { middlewareMode: true, watch: null },
    });
    try {
      const loaded = (await server.ssrLoadModule(prices)) as { price(n: number): number };
      expect(loaded.price(3)).toBe(7);
      // Rewritten, so the plugin did see the tagged module.
      expect(server.environments.ssr.moduleGraph.getModuleById(prices)?.transformResult?.code).toContain(
        'id: "vite-browser:src/prices.ts#price"',
      );
    } finally {
      await server.close();
    }
    expect(warnings).toEqual([]);
  });
});
