/**
 * Scenario 4: 4 processes call a memoized 1 ms function over the same 1,000
 * keys, each in its own shuffled order, 8 calls in flight per process. A
 * cache that shares results and computes each key once across processes
 * runs the function exactly 1,000 times; throughput is all calls over the
 * wall time from the common start signal to the last process finishing.
 */
import { join } from 'node:path';
import { LineChild } from '../lib/children.mjs';
import { persistentRows } from '../lib/persistent.mjs';
import { publish } from '../lib/report.mjs';
import { benchDir, budget } from '../lib/settings.mjs';
import { makeTempDir, removeTempDir } from '../lib/temp-dir.mjs';

const PROCESSES = budget(4, 2);
const KEYS = budget(1_000, 40);
const IN_FLIGHT = 8;
const WORKER = join(benchDir, 'workers', 'cross-process-worker.mjs');

/**
 * Runs the workers of one contender against one fresh cache folder.
 * @param {import('../lib/persistent.mjs').PersistentContender} contender
 */
async function runContender(contender) {
  const dir = makeTempDir('cross');
  try {
    const workers = Array.from(
      { length: PROCESSES },
      (_, index) => new LineChild(WORKER, [contender.name, dir, String(index), String(KEYS), String(IN_FLIGHT)]),
    );
    await Promise.all(workers.map((worker) => worker.ready()));
    const started = performance.now();
    for (const worker of workers) worker.go();
    const reports = await Promise.all(workers.map((worker) => worker.report()));
    const wallMs = performance.now() - started;
    const computations = reports.reduce((sum, report) => sum + report.computations, 0);
    const calls = reports.reduce((sum, report) => sum + report.calls, 0);
    const exact = computations === KEYS;
    return {
      contender: contender.name,
      value: (wallMs * 1000) / calls,
      computations,
      callsPerSecond: Math.round(calls / (wallMs / 1000)),
      wallSeconds: wallMs / 1000,
      note: exact
        ? `each key computed once`
        : `${(computations - KEYS).toLocaleString('en-US')} duplicate computations (expected ${KEYS.toLocaleString('en-US')})`,
    };
  } finally {
    removeTempDir(dir);
  }
}

const rows = await persistentRows(runContender);
const ours = rows.find((row) => row.contender === 'cachier file core');

publish('cross-process', {
  title: `Scenario 4: ${PROCESSES} processes x ${KEYS.toLocaleString('en-US')} keys, 1 ms function, ${IN_FLIGHT} calls in flight per process`,
  tables: [
    {
      title: `Cross-process: computations (must be ${KEYS.toLocaleString('en-US')}) and throughput`,
      valueLabel: 'wall µs/call',
      ours: 'cachier file core',
      extraColumns: [
        { key: 'computations', label: 'computations' },
        { key: 'callsPerSecond', label: 'calls/s' },
        { key: 'wallSeconds', label: 'wall s' },
      ],
      rows,
    },
  ],
  targets: ours?.unavailable
    ? []
    : [
        {
          claim: `the file core computes each of the ${KEYS.toLocaleString('en-US')} keys exactly once across ${PROCESSES} processes`,
          met: ours?.computations === KEYS,
          measured: `${ours?.computations?.toLocaleString('en-US')} computations`,
        },
      ],
});
