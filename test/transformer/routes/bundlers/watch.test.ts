import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { watch, type RolldownWatcher, type RolldownWatcherEvent } from 'rolldown';
import { afterAll, describe, expect, test } from 'vitest';
import { transformModule } from '../../../../transformer/engine/index.js';
import cachier from '../../../../transformer/routes/bundlers/rolldown.js';
import { HELPER, PRICES, pricedProject } from '../../../support/transformer/priced-project.js';

/**
 * The plugin shares one module graph across a build's transform calls; a
 * watch rebuild is a new build, so what it read before an edit must not leak
 * into the hashes after it.
 */
describe('a bundler watch build with the cachier plugin', () => {
  const { dir: project, helper, prices, remove } = pricedProject('watched');
  let watcher: RolldownWatcher | undefined;
  afterAll(async () => {
    await watcher?.close();
    remove();
  });

  /** The hash a clean build gives `price` with the files as they are now. */
  const cleanHash = (): string | undefined => transformModule({ code: PRICES, fileName: prices }).functions[0]?.sourceHash;
  const bundledHash = (): string | undefined => /sourceHash: "([^"]+)"/.exec(readFileSync(join(project, 'dist/prices.js'), 'utf8'))?.[1];

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
