/**
 * Scenario 5: the first call in a new process, against a cache of 10,000
 * entries: open the store and serve one stored result. Each sample is a
 * fresh Node process; tinybench takes the time each process reports for
 * that call (its `overriddenDuration`), so process start-up and module
 * loading, the same for every contender, are left out.
 */
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { LineChild } from '../lib/children.mjs';
import { persistentRows } from '../lib/persistent.mjs';
import { publish } from '../lib/report.mjs';
import { benchDir, budget } from '../lib/settings.mjs';
import { makeTempDir, removeTempDir } from '../lib/temp-dir.mjs';

const ENTRIES = budget(10_000, 200);
const SAMPLES = budget(7, 2);
const FILL_BUDGET_MS = budget(60_000, 10_000);
const WORKER = join(benchDir, 'workers', 'cold-start-worker.mjs');

/**
 * Fills a store in this process, then times first calls in new processes.
 * @param {import('../lib/persistent.mjs').PersistentContender} contender
 * @returns {Promise<import('../lib/report.mjs').Row>}
 */
async function coldStart(contender) {
  const dir = makeTempDir('cold');
  try {
    const store = contender.open(dir, async () => {
      throw new Error('bench: the fill must not compute');
    });
    const fillStarted = performance.now();
    const filled = await store.fill(0, ENTRIES, fillStarted + FILL_BUDGET_MS);
    await store.close();
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    if (filled < ENTRIES)
      return { contender: contender.name, unavailable: `filling stopped after ${fillSeconds.toFixed(0)} s at ${filled} entries` };
    let computations = 0;
    let sample = 0;
    const bench = new Bench({ iterations: SAMPLES, time: 0, warmup: false, throws: true });
    bench.add(contender.name, async () => {
      const child = new LineChild(WORKER, [contender.name, dir, String((sample++ * 1_237) % ENTRIES)]);
      const report = await child.report();
      computations += report.computations;
      return { overriddenDuration: report.firstCallMs };
    });
    await bench.run();
    const result = bench.tasks[0]?.result;
    if (!result || !('latency' in result)) throw new Error(`bench: cold start of ${contender.name} produced no statistics`);
    return {
      contender: contender.name,
      value: result.latency.p50,
      min: result.latency.min,
      max: result.latency.max,
      fillSeconds,
      note: computations === 0 ? '' : `${computations} first calls recomputed instead of hitting`,
    };
  } finally {
    removeTempDir(dir);
  }
}

const rows = await persistentRows(coldStart);

publish('cold-start', {
  title: `Scenario 5: first call in a new process, cache of ${ENTRIES.toLocaleString('en-US')} entries`,
  tables: [
    {
      title: `Cold start: open the store and serve one stored result (median of ${SAMPLES} processes)`,
      valueLabel: 'median ms',
      ours: 'cachier file core',
      extraColumns: [
        { key: 'min', label: 'min ms' },
        { key: 'max', label: 'max ms' },
        { key: 'fillSeconds', label: 'fill s' },
      ],
      rows,
    },
  ],
});
