import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `bench/` folder. */
export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Quick mode (`BENCH_QUICK=1`) shrinks every budget so the whole harness runs
 * in seconds: it proves the plumbing (tables, JSON, chart), not the figures.
 */
export const quick = process.env['BENCH_QUICK'] === '1';

/**
 * Where results go: `BENCH_RESULTS_DIR` if set, else `bench/results`, except
 * in quick mode, whose meaningless figures must not replace a real run's.
 * @param {boolean} isQuick
 */
export function resultsDirFor(isQuick) {
  return process.env['BENCH_RESULTS_DIR'] || (isQuick ? join(tmpdir(), 'cachier-bench-quick-results') : join(benchDir, 'results'));
}

/** Where this process writes its results. */
export const resultsDir = resultsDirFor(quick);

/**
 * Picks the full-run or the quick-mode value of a budget.
 * @template T
 * @param {T} full
 * @param {T} small
 * @returns {T}
 */
export function budget(full, small) {
  return quick ? small : full;
}

/** The machine the figures were measured on, recorded beside them. */
export function machine() {
  const processors = cpus();
  return {
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
