/**
 * `npm run bench`: runs each scenario in its own Node process, one after the
 * other, so contenders inside a scenario share one process and one run, and
 * no scenario's heap or open files disturb the next.
 *
 * Usage: node bench/run.mjs [--quick] [scenario ...]
 *   --quick     tiny budgets (seconds in all), to check the harness works
 *   scenario    run only these, e.g. `hit-cost scaling`
 *
 * BENCH_DIR=<folder> puts every store under that folder (e.g. a tmpfs such
 * as /dev/shm, where a figure does not drift with the disk's history of
 * deletes) instead of the system temp folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDir, resultsDirFor } from './lib/settings.mjs';

/** The scenarios, in the order of issue 6, then the shared backends of issue 13, the build time of the tag's routes and issue 14's floors. */
const SCENARIOS = ['hit-cost', 'scaling', 'key-derivation', 'cross-process', 'cold-start', 'mongo', 'shared-backends', 'build-time', 'floors'];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const chosen = args.filter((arg) => !arg.startsWith('--'));
const unknown = chosen.filter((name) => !SCENARIOS.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const tempRoot = mkdtempSync(join(process.env['BENCH_DIR'] || tmpdir(), 'cachier-bench-run-'));
const failed = [];
for (const scenario of chosen.length > 0 ? chosen : SCENARIOS) {
  const scenarioStarted = performance.now();
  const run = spawnSync(process.execPath, [join(benchDir, 'scenarios', `${scenario}.mjs`)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_TEMP_ROOT: tempRoot, ...(quick ? { BENCH_QUICK: '1' } : {}) },
  });
  const seconds = ((performance.now() - scenarioStarted) / 1000).toFixed(1);
  if (run.status !== 0) failed.push(scenario);
  console.log(`(${scenario}: ${run.status === 0 ? 'done' : `failed with ${run.signal ?? `exit code ${run.status}`}`} in ${seconds} s)`);
}
// Large stores are left here by their scenarios; deleting them can take
// minutes, which nobody needs to wait for once the figures are out.
if (process.platform === 'win32') rmSync(tempRoot, { recursive: true, force: true });
else spawn('rm', ['-rf', tempRoot], { detached: true, stdio: 'ignore' }).unref();
console.log(`\nbench: finished in ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${resultsDirFor(quick)}; the temp stores in ${tempRoot} are being deleted in the background`);
if (failed.length > 0) {
  console.error(`bench: failed scenarios: ${failed.join(', ')}`);
  process.exit(1);
}
