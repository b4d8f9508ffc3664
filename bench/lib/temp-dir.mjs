import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Set by bench/run.mjs: the folder holding every scenario's temp folders,
 * which it deletes once all scenarios are done.
 */
const runRoot = process.env['BENCH_TEMP_ROOT'];
const created = new Set();

process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh folder under the run's temp folder, else under `BENCH_DIR`, else
 * under the system temp dir,
 * removed when the process exits or by {@link removeTempDir}. Benchmarks
 * never touch `~/.cachier`.
 *
 * @param {string} label - part of the folder name, to tell leftovers apart.
 * @returns {string}
 */
export function makeTempDir(label) {
  const dir = mkdtempSync(join(runRoot || process.env['BENCH_DIR'] || tmpdir(), `cachier-bench-${label}-`));
  created.add(dir);
  return dir;
}

/**
 * Removes a folder made by {@link makeTempDir}. A store of 100,000 entries
 * is hundreds of thousands of files, which take minutes to delete on some
 * disks: with `later`, a scenario run by bench/run.mjs leaves the folder to
 * the run, which deletes it in the background after the last scenario, when
 * the disk work no longer disturbs a measurement.
 *
 * @param {string} dir
 * @param {{ later?: boolean }} [options]
 */
export function removeTempDir(dir, options = {}) {
  created.delete(dir);
  if (!(options.later && runRoot)) rmSync(dir, { recursive: true, force: true });
}
