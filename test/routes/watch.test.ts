import { spawn } from 'node:child_process';
import { cpSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { FixtureProject, repoRoot } from '../support/transformer/fixture-project.js';
import { RouteProject } from '../support/routes/route-project.js';
import { engineFacts } from '../support/routes/route-scenarios.js';

/** The source hash the rewrite gave `id` in emitted JavaScript. */
function hashIn(code: string, id: string): string | undefined {
  return new RegExp(`id: "${id.replace(/[#.]/g, '\\$&')}", sourceHash: "([\\w-]+)"`).exec(code)?.[1];
}

/** Runs a watching compiler and waits for its output to match, build after build. */
function watch(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env } });
  let output = '';
  const waiters: Array<() => void> = [];
  const collect = (chunk: string): void => {
    output += chunk;
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  return {
    output: () => output,
    async until(pattern: RegExp, count: number): Promise<void> {
      while ((output.match(new RegExp(pattern, 'g'))?.length ?? 0) < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    stop: () => child.kill(),
  };
}

describe('watch rebuilds give the source hashes of a clean build', () => {
  test('tspc --watch: editing a helper gives its tagged dependent the output of a clean build, without emitting it again', async () => {
    const project = new FixtureProject('dependencies');
    cpSync(join(project.dir, 'packages/tiny-dep'), join(project.dir, 'node_modules/tiny-dep'), { recursive: true });
    const tspc = join(repoRoot, 'node_modules/.bin/tspc');
    const outputs = (): string[] => ['prices.js', 'prices.js.map', 'prices.d.ts'].map((name) => project.read(`dist/${name}`));
    const declarationTime = (): number => statSync(join(project.dir, 'dist/prices.d.ts')).mtimeMs;
    const rates = project.read('src/rates.ts');
    // A body edit that leaves the helper's declaration (and so its .d.ts) as it was: tsc's builder
    // re-emits only the helper; the dependent's only change is the source hash of the function that calls it.
    const edited = rates.replace('* 100) / 100', '* 1000) / 1000');
    const watcher = watch(
      process.execPath,
      [tspc, '-p', project.dir, '--watch', '--preserveWatchOutput', '--pretty', 'false'],
      project.dir,
    );
    try {
      await watcher.until(/Watching for file changes\./, 1);
      const before = hashIn(project.read('dist/prices.js'), 'dependencies:src/prices.ts#gross');
      const firstDeclaration = declarationTime();
      project.write('src/rates.ts', edited);
      await watcher.until(/Watching for file changes\./, 2);
      const afterEdit = outputs();
      project.write('src/rates.ts', rates);
      await watcher.until(/Watching for file changes\./, 3);
      const afterUndo = outputs();
      // The compiler did not emit the dependent again (its declaration file was not rewritten); its JavaScript got the new hash.
      expect(declarationTime()).toBe(firstDeclaration);
      watcher.stop();
      expect(watcher.output()).not.toMatch(/error TS|cachier:/);
      expect(watcher.output().match(/Found 0 errors\./g)).toHaveLength(3);

      const clean = async (): Promise<string[]> => {
        rmSync(join(project.dir, 'dist'), { recursive: true });
        expect((await project.compile()).code).toBe(0);
        return outputs();
      };
      expect(afterUndo).toEqual(await clean());
      expect(hashIn(afterUndo[0] as string, 'dependencies:src/prices.ts#gross')).toBe(before);
      project.write('src/rates.ts', edited);
      expect(afterEdit).toEqual(await clean());
      expect(before).toMatch(/^[\w-]{16}$/);
      expect(hashIn(afterEdit[0] as string, 'dependencies:src/prices.ts#gross')).not.toBe(before);
    } finally {
      watcher.stop();
      project.remove();
    }
  });

  describe('cachier-tsc --watch on TypeScript 7', () => {
    const project = new RouteProject('tsc7-watch');
    beforeAll(async () => {
      cpSync(join(repoRoot, 'fixtures/routes'), project.dir, { recursive: true });
      await project.install(inject('cachierTarball'), { typescript: '7.0.2', '@types/node': '20.19.25' }, { type: 'module' });
    }, 300_000);
    afterAll(() => project.remove());

    test('editing a helper gives its tagged dependent the hash of a clean build', async () => {
      const bin = join(project.dir, 'node_modules/.bin/cachier-tsc');
      const watcher = watch(bin, ['--watch', '--preserveWatchOutput'], project.dir, {
        PATH: `${join(project.dir, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}`,
      });
      try {
        await watcher.until(/Watching for file changes\./, 1);
        const before = hashIn(project.read('dist/prices.js'), 'route-fixture:src/prices.ts#price');
        project.write('src/scale.ts', project.read('src/scale.ts').replace('FACTOR = 10', 'FACTOR = 1000'));
        await watcher.until(/Watching for file changes\./, 2);
        const watched = hashIn(project.read('dist/prices.js'), 'route-fixture:src/prices.ts#price');
        expect(before).toMatch(/^[\w-]{16}$/);
        expect(watched).not.toBe(before);
        expect(watched).toBe(engineFacts(project.dir).find((fact) => fact.id === 'route-fixture:src/prices.ts#price')?.sourceHash);
        expect(watcher.output()).not.toMatch(/error/i);
      } finally {
        watcher.stop();
      }
    });
  });
});
