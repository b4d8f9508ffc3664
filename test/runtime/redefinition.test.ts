import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';

// A module evaluated again as a fresh instance (a dev server's or reloader's
// import with a new query) wraps its top-level function anew: that is the
// same function, and it shares the first's cache instead of being refused.
const runtime = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/runtime/index.js')).href;

function project(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'cachier-redefinition-'));
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'redefinition-app', type: 'module' }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

function run(folder: string, script: string): string {
  return execFileSync(process.execPath, [join(folder, script)], {
    encoding: 'utf8',
    env: { ...process.env, CACHIER_DIR: join(folder, 'cache') },
  });
}

const PRICES = `
import { cachier } from '${runtime}';
globalThis.computations ??= 0;
export const price = cachier(async function price(symbol) {
  globalThis.computations++;
  await new Promise((resolve) => setTimeout(resolve, 200));
  return symbol.length * 100;
});
`;

describe('a module evaluated again', () => {
  test('shares entries, calls in flight and metrics with its first evaluation, without an error', () => {
    const folder = project({
      'prices.js': PRICES,
      'main.js': `
        const first = await import('./prices.js?v=1');
        const inFlight = first.price('ACME');
        const second = await import('./prices.js?v=2');
        const joined = second.price('ACME');
        console.log(JSON.stringify({
          distinct: first.price !== second.price,
          values: await Promise.all([inFlight, joined, second.price('ACME')]),
          computations: globalThis.computations,
          info: await second.price.cacheInfo().then(({ id, misses, computations }) => ({ id, misses, computations })),
        }));
      `,
    });
    expect(JSON.parse(run(folder, 'main.js'))).toEqual({
      distinct: true,
      values: [400, 400, 400],
      computations: 1,
      info: { id: 'redefinition-app:prices.js#price', misses: 1, computations: 1 },
    });
  });

  test('shares entries with the next process too, under the same id', () => {
    const folder = project({
      'prices.js': PRICES,
      'main.js': `const { price } = await import('./prices.js?v=3'); console.log(await price('ACME'), globalThis.computations);`,
    });
    expect(run(folder, 'main.js').trim()).toBe('400 1');
    expect(run(folder, 'main.js').trim()).toBe('400 0');
  });

  test('closures made by one factory are still refused, and so are two loops of one module', () => {
    const folder = project({
      'main.js': `
        import { cachier } from '${runtime}';
        const made = [2, 3].map((k) => () => cachier(function scale(x) { return x * k; }));
        made[0]();
        try { made[1](); console.log('accepted'); } catch (error) { console.log(error.name); }
        await new Promise((resolve) => setTimeout(resolve, 20));
        const later = [4].map((k) => () => cachier(function scale(x) { return x * k; }));
        try { later[0](); console.log('accepted'); } catch (error) { console.log(error.name); }
      `,
    });
    expect(run(folder, 'main.js').trim().split('\n')).toEqual(['InvalidOptionError', 'InvalidOptionError']);
  });
});
