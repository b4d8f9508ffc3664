/**
 * `npm run bench`: runs each scenario in its own Node process, one after the
 * other, so contenders inside a scenario share one process and one run, and
 * no scenario's heap or open files disturb the next.
 *
 * Usage: node bench/run.mjs [--quick] [scenario ...]
 *   --quick     tiny budgets (seconds in all), to check the harness works
 *   scenario    run only these, e.g. `hit-cost scaling`
 *
 * The floors (scenario 8) run twice: with their stores in the system temp
 * folder (on disk, usually) and on the tmpfs at /dev/shm, where a figure does
 * not drift with the disk's history of deletes. BENCH_DIR=<folder> puts
 * every store under that one folder instead.
 *
 * Every target of every scenario is printed again in one table at the end;
 * a missed one makes the run exit with code 1 (not in quick mode).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import Table from 'cli-table3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDir, resultsDirFor } from './lib/settings.mjs';

/** `statfs` type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

/**
 * The scenarios, in the order of issue 6, then the shared backends of issue 13, the build time of the tag's routes,
 * issue 14's floors, issue 22's await cost, issue 23's cold import and issue 24's bounded caches.
 */
const SCENARIOS = [
  'hit-cost',
  'scaling',
  'key-derivation',
  'cross-process',
  'cold-start',
  'mongo',
  'shared-backends',
  'build-time',
  'floors',
  'await-cost',
  'cold-import',
  'local-tier',
  'bounded',
];

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
const targetsFile = join(tempRoot, 'targets.jsonl');
const tmpfsRoot = process.env['BENCH_DIR'] ? undefined : tmpfsTempRoot();

/**
 * The runs to make: each scenario once, except the floors, which run a second
 * time with their stores on a tmpfs (issue 14 sets a target for each), unless
 * `BENCH_DIR` names the one folder to use.
 * @type {{ scenario: string, label: string, root: string }[]}
 */
const runs = (chosen.length > 0 ? chosen : SCENARIOS).flatMap((scenario) => {
  const onDisk = { scenario, label: scenario, root: tempRoot };
  if (scenario !== 'floors' || process.env['BENCH_DIR']) return [onDisk];
  if (!tmpfsRoot) {
    console.log('bench: no tmpfs at /dev/shm, so the floors run on disk only and their tmpfs targets are not checked');
    return [onDisk];
  }
  return [onDisk, { scenario, label: 'floors (tmpfs)', root: tmpfsRoot }];
});

const failed = [];
for (const run of runs) {
  const runStarted = performance.now();
  const child = spawnSync(process.execPath, [join(benchDir, 'scenarios', `${run.scenario}.mjs`)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_TEMP_ROOT: run.root, BENCH_TARGETS_FILE: targetsFile, ...(quick ? { BENCH_QUICK: '1' } : {}) },
  });
  const seconds = ((performance.now() - runStarted) / 1000).toFixed(1);
  if (child.status !== 0) failed.push(run.label);
  console.log(
    `(${run.label}: ${child.status === 0 ? 'done' : `failed with ${child.signal ?? `exit code ${child.status}`}`} in ${seconds} s)`,
  );
}
printTargets();
// Large stores are left here by their scenarios; deleting them can take
// minutes, which nobody needs to wait for once the figures are out.
for (const root of [tempRoot, tmpfsRoot]) {
  if (!root) continue;
  if (process.platform === 'win32') rmSync(root, { recursive: true, force: true });
  else spawn('rm', ['-rf', root], { detached: true, stdio: 'ignore' }).unref();
}
console.log(
  `\nbench: finished in ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${resultsDirFor(quick)}; the temp stores are being deleted in the background`,
);
if (failed.length > 0) {
  console.error(`bench: failed: ${failed.join(', ')}${quick ? '' : ' (a missed target fails its scenario; see the summary above)'}`);
  process.exit(1);
}

/** A temp folder on the tmpfs at /dev/shm, or nothing where there is none. */
function tmpfsTempRoot() {
  try {
    if (statfsSync('/dev/shm').type !== TMPFS_MAGIC) return undefined;
    return mkdtempSync(join('/dev/shm', 'cachier-bench-run-'));
  } catch {
    return undefined;
  }
}

/** Every target of the run in one table, read from the lines the scenarios appended. */
function printTargets() {
  if (!existsSync(targetsFile)) return;
  /** @type {{ scenario: string, claim: string, met: boolean, measured: string }[]} */
  const targets = readFileSync(targetsFile, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const table = new Table({ head: ['', 'scenario', 'target', 'measured'], style: { head: [], border: [], compact: true } });
  for (const target of targets) table.push([target.met ? 'met' : 'MISSED', target.scenario, target.claim, target.measured]);
  const missed = targets.filter((target) => !target.met).length;
  console.log(
    `\n# Targets: ${targets.length - missed} met, ${missed} missed${quick ? ' (quick mode: not enforced)' : ''}\n${table.toString()}`,
  );
}
