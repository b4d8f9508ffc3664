import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from './route-project.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The `npm pack` tarball of this repository, built once per run: what route tests install, as users do. */
    cachierTarball: string;
  }
}

/**
 * Vitest global setup: packs the package once (`npm test` has just built
 * `dist/`), so route tests install exactly what would be published and a
 * missing `files` or `exports` entry fails them.
 */
export default function setup(project: TestProject): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'cachier-pack-'));
  const output = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', folder], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const [packed] = JSON.parse(output) as Array<{ filename: string }>;
  project.provide('cachierTarball', join(folder, (packed as { filename: string }).filename));
  return () => rmSync(folder, { recursive: true, force: true });
}
