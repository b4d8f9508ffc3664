import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, type BuildContext } from 'esbuild';
import { watch, type RolldownWatcher, type RolldownWatcherEvent } from 'rolldown';
import { afterAll, describe, expect, test } from 'vitest';
import { transformModule } from '../../../../transformer/engine/index.js';
import esbuildPlugin from '../../../../transformer/routes/bundlers/esbuild.js';
import cachier from '../../../../transformer/routes/bundlers/rolldown.js';
import { HELPER, PRICES, pricedProject } from '../../../support/transformer/priced-project.js';

/**
 * A priced project with the hash a clean build gives its `price` with the
 * files as they are now, and the hash its bundle (`dist/prices.js`) holds.
 */
function watchedProject(name: string) {
  const project = pricedProject(name);
  return {
    ...project,
    cleanHash: (): string | undefined => transformModule({ code: PRICES, fileName: project.prices }).functions[0]?.sourceHash,
    bundledHash: (): string | undefined => /sourceHash: "([^"]+)"/.exec(readFileSync(join(project.dir, 'dist/prices.js'), 'utf8'))?.[1],
  };
}

/**
 * The plugin shares one module graph across a build's transform calls; a
 * watch rebuild is a new build, so what it read before an edit must not leak
 * into the hashes after it.
 */
describe('a Rolldown watch build with the cachier plugin', () => {
  const { dir: project, helper, prices, remove, cleanHash, bundledHash } = watchedProject('watched');
  let watcher: RolldownWatcher | undefined;
  afterAll(async () => {
    await watcher?.close();
    remove();
  });

  test('rebuilding after a helper edit gives the tagged function the hash a clean build gives', async () => {
    const bundles: (() => void)[] = [];
    const failures: unknown[] = [];
    const nextBundle = (): Promise<void> => new Promise((resolve) => bundles.push(resolve));
    const first = nextBundle();
    watcher = watch({
      input: prices,
      platform: 'node',
      external: ['cachier'],
      plugins: [cachier()],
      output: { dir: join(project, 'dist'), format: 'esm' },
      logLevel: 'silent',
    });
    watcher.on('event', async (event: RolldownWatcherEvent) => {
      if (event.code === 'ERROR') failures.push(event.error);
      if (event.code === 'BUNDLE_END') {
        await event.result.close();
        bundles.shift()?.();
      }
    });
    await first;
    const before = bundledHash();
    expect(before).toBe(cleanHash());

    const rebuilt = nextBundle();
    writeFileSync(helper, HELPER.replace('n * 2', 'n * 3'));
    await rebuilt;
    expect(failures).toEqual([]);
    expect(bundledHash()).not.toBe(before);
    expect(bundledHash()).toBe(cleanHash());
  }, 30_000);
});

describe('an esbuild watch build with the cachier plugin', () => {
  const { dir: project, helper, prices, remove, cleanHash, bundledHash } = watchedProject('esbuild-watched');
  let watching: BuildContext | undefined;
  afterAll(async () => {
    await watching?.dispose();
    remove();
  });

  // The helper is left out of the bundle (as a module of another package would be), so esbuild watches it only
  // because the plugin names it as a watch file of the tagged module: the edit must still rebuild and rehash.
  test('rebuilding after a helper edit gives the tagged function the hash a clean build gives', async () => {
    const builds: ((errors: number) => void)[] = [];
    const nextBuild = (): Promise<number> => new Promise((resolve) => builds.push(resolve));
    const first = nextBuild();
    watching = await context({
      entryPoints: [prices],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outdir: join(project, 'dist'),
      external: ['cachier', './helper.js'],
      logLevel: 'silent',
      plugins: [esbuildPlugin(), { name: 'builds', setup: (build) => build.onEnd((result) => builds.shift()?.(result.errors.length)) }],
    });
    await watching.watch();
    expect(await first).toBe(0);
    const before = bundledHash();
    expect(before).toBe(cleanHash());

    const rebuilt = nextBuild();
    writeFileSync(helper, HELPER.replace('n * 2', 'n * 5'));
    expect(await rebuilt).toBe(0);
    expect(bundledHash()).not.toBe(before);
    expect(bundledHash()).toBe(cleanHash());
  }, 30_000);
});
