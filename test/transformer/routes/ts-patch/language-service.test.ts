import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FixtureProject } from '../../../support/transformer/fixture-project.js';
import { TsServer } from '../../../support/transformer/tsserver.js';

describe('in an editor (a real tsserver) with the cachier/language-service plugin', () => {
  const project = new FixtureProject('editor');
  const server = new TsServer(project.dir);
  afterAll(() => {
    server.close();
    project.remove();
  });

  test('fn.clearCache(), fn.cacheInfo() and the module’s clearCache() get no red squiggle', async () => {
    const main = join(project.dir, 'src/main.ts');
    await server.open(main);
    expect(await server.semanticDiagnostics(main)).toEqual([]);
  });

  test('a bad tag is underlined at its position with the fix', async () => {
    const bad = join(project.dir, 'src/bad.ts');
    await server.open(bad);
    const diagnostics = await server.semanticDiagnostics(bad);
    expect(diagnostics.map(({ start, text }) => ({ start, text }))).toEqual([
      {
        start: { line: 1, offset: 25 },
        text: 'cachier: option "staleAfter" expects milliseconds or a duration such as 500ms, 30s, 5m, 3h, 3d, 2w or 1h30m, got "soon"',
      },
    ]);
  });

  test('without the plugin, the same editor flags the generated names (what the plugin fixes)', async () => {
    const plain = new FixtureProject('editor');
    plain.write('tsconfig.json', plain.read('tsconfig.json').replace('"name": "cachier/language-service", ', ''));
    const bareServer = new TsServer(plain.dir);
    try {
      const main = join(plain.dir, 'src/main.ts');
      await bareServer.open(main);
      const texts = (await bareServer.semanticDiagnostics(main)).map((diagnostic) => diagnostic.text);
      expect(texts).toContain("Property 'clearCache' does not exist on type '(symbol: string) => Promise<number>'.");
    } finally {
      bareServer.close();
      plain.remove();
    }
  });
});
