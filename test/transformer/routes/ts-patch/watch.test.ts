import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FixtureProject, repoRoot } from '../../../support/transformer/fixture-project.js';

const SQUARE_HASH = /id: "forms-esm:src\/forms\.ts#square", sourceHash: "([\w-]+)"/;

describe('tspc --watch', () => {
  const project = new FixtureProject('forms', 'forms/esm');
  afterAll(() => project.remove());

  test('rebuilds with the generated declarations visible and a new source hash for the edited function', async () => {
    const watcher = spawn(process.execPath, [
      join(repoRoot, 'node_modules/.bin/tspc'),
      '-p',
      project.dir,
      '--watch',
      '--preserveWatchOutput',
      '--pretty',
      'false',
    ]);
    let output = '';
    const waiters: Array<() => void> = [];
    watcher.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (const wake of waiters.splice(0)) wake();
    });
    const builds = (): number => output.match(/Found \d+ errors?\. Watching for file changes\./g)?.length ?? 0;
    const waitForBuild = async (count: number): Promise<void> => {
      while (builds() < count) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    try {
      await waitForBuild(1);
      const before = SQUARE_HASH.exec(project.read('dist/forms.js'))?.[1];
      project.write('src/forms.ts', project.read('src/forms.ts').replace('return x * x', 'return x * x * 1'));
      await waitForBuild(2);
      expect(output).not.toMatch(/error TS/);
      expect(output.match(/Found 0 errors\./g)).toHaveLength(2);
      const after = SQUARE_HASH.exec(project.read('dist/forms.js'))?.[1];
      expect(before).toMatch(/^[\w-]{16}$/);
      expect(after).toMatch(/^[\w-]{16}$/);
      expect(after).not.toBe(before);
    } finally {
      watcher.kill();
    }
  });
});
