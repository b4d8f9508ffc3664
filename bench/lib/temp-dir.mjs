import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set();

process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh folder under the system temp dir, removed when the process exits
 * (or earlier through {@link removeTempDir}). Benchmarks never touch `~/.cachier`.
 *
 * @param {string} label - part of the folder name, to tell leftovers apart.
 * @returns {string}
 */
export function makeTempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `cachier-bench-${label}-`));
  created.add(dir);
  return dir;
}

/**
 * Removes a folder made by {@link makeTempDir} now, to free disk between steps.
 * @param {string} dir
 */
export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}
