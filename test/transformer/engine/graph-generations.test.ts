import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BuildGraphs, ModuleGraph, transformModule } from '../../../transformer/engine/index.js';

/**
 * A watch rebuild's graph is made from the last build's and takes over the
 * work that still holds. Whatever changed between the builds (a helper's
 * body, a module that appears and changes where an import leads, a package
 * upgrade), every hash must be the one a graph made from scratch gives.
 */
describe('a graph made from the last build gives the hashes of a new graph', () => {
  let dir: string;
  const modules = ['src/prices.ts', 'src/totals.ts', 'src/loud.ts'];
  const write = (path: string, text: string): void => writeFileSync(join(dir, path), text);
  const read = (path: string): string => readFileSync(join(dir, path), 'utf8');
  /** Each tagged function's source hash, by id, as `graph` sees the project now. */
  const hashesWith = (graph: ModuleGraph): Record<string, string> =>
    Object.fromEntries(
      modules.flatMap((path) =>
        transformModule({ code: read(path), fileName: join(dir, path), graph }).functions.map((fn) => [fn.id.split(':')[1], fn.sourceHash]),
      ),
    );

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachier-generations-'));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'node_modules/shout-case'), { recursive: true });
    write('package.json', JSON.stringify({ name: 'generations', version: '1.0.0', type: 'module' }));
    write('node_modules/shout-case/package.json', JSON.stringify({ name: 'shout-case', version: '1.0.0' }));
    write('src/rates.ts', 'export const VAT = 0.2;\nexport function withVat(net: number): number {\n  return net * (1 + VAT);\n}\n');
    write(
      'src/prices.ts',
      "import { withVat } from './rates.js';\nimport { bonus } from './bonus.js';\n\n" +
        '/** @cachier */\nexport function gross(net: number): number {\n  return withVat(net) + (bonus?.() ?? 0);\n}\n\n' +
        '/** @cachier */\nexport function plain(net: number): number {\n  return net;\n}\n',
    );
    write(
      'src/totals.ts',
      "import { gross } from './prices.js';\n\n/** @cachier */\nexport function total(items: number[]): number {\n  return items.reduce((sum, net) => sum + gross(net), 0);\n}\n",
    );
    write(
      'src/loud.ts',
      "import shout from 'shout-case';\n\n/** @cachier */\nexport function loud(text: string): string {\n  return shout(text);\n}\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('edits, a module that appears and a package upgrade, build after build', () => {
    let last = new ModuleGraph();
    const first = hashesWith(last);
    const rebuild = (): Record<string, string> => {
      const next = new ModuleGraph(undefined, undefined, last);
      const hashes = hashesWith(next);
      expect(hashes).toEqual(hashesWith(new ModuleGraph()));
      last = next;
      return hashes;
    };

    expect(rebuild()).toEqual(first);
    write('src/rates.ts', read('src/rates.ts').replace('net * (1 + VAT)', 'Math.round(net * (1 + VAT))'));
    const edited = rebuild();
    expect(edited['src/prices.ts#gross']).not.toBe(first['src/prices.ts#gross']);
    expect(edited['src/totals.ts#total']).not.toBe(first['src/totals.ts#total']);
    expect(edited['src/prices.ts#plain']).toBe(first['src/prices.ts#plain']);

    // `./bonus.js` led nowhere; now it leads to a module, and `gross` depends on its code.
    write('src/bonus.ts', 'export function bonus(): number {\n  return 1;\n}\n');
    const appeared = rebuild();
    expect(appeared['src/prices.ts#gross']).not.toBe(edited['src/prices.ts#gross']);
    write('src/bonus.ts', 'export function bonus(): number {\n  return 2;\n}\n');
    expect(rebuild()['src/totals.ts#total']).not.toBe(appeared['src/totals.ts#total']);

    write('node_modules/shout-case/package.json', JSON.stringify({ name: 'shout-case', version: '1.1.0' }));
    const upgraded = rebuild();
    expect(upgraded['src/loud.ts#loud']).not.toBe(first['src/loud.ts#loud']);

    rmSync(join(dir, 'src/bonus.ts'));
    write('src/rates.ts', read('src/rates.ts').replace('Math.round(net * (1 + VAT))', 'net * (1 + VAT)'));
    write('node_modules/shout-case/package.json', JSON.stringify({ name: 'shout-case', version: '1.0.0' }));
    expect(rebuild()).toEqual(first);
  });

  test('BuildGraphs makes each build’s graph from the last one, and its hashes follow the edits', () => {
    const graphs = new BuildGraphs();
    const before = hashesWith(graphs.current());
    write('src/rates.ts', read('src/rates.ts').replace('VAT = 0.2', 'VAT = 0.25'));
    expect(hashesWith(graphs.current())).toEqual(before);
    graphs.reset();
    const after = hashesWith(graphs.current());
    expect(after).toEqual(hashesWith(new ModuleGraph()));
    expect(after['src/prices.ts#gross']).not.toBe(before['src/prices.ts#gross']);
  });
});
