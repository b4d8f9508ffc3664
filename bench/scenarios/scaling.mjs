/**
 * Scenario 2: hit and miss cost of each persistent store holding 100, 1,000,
 * 10,000 and 100,000 entries. A flat curve means a call costs the same
 * whatever the cache holds. All stores grow side by side from one size to
 * the next through their own API (cachier: `precache`); the fill time is
 * recorded, and once a store's fills overrun their budget its larger sizes
 * are reported as skipped rather than measured, so `npm run bench` stays
 * under 10 minutes. The targets are judged on a last measurement in
 * interleaved rounds (see `measureFlatness`): the grown store against a fresh
 * small one, each beside a bare read of its own entry files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLogLogChart } from '../lib/chart.mjs';
import { countedQuotes } from '../lib/counted.mjs';
import { keyPaths, versionLayout } from '../../dist/runtime/backends/file/layout.js';
import { interleaved } from '../lib/interleaved.mjs';
import { keyOfArguments } from '../lib/ours.mjs';
import { measure, sequential } from '../lib/measure.mjs';
import { PERSISTENT_CONTENDERS } from '../lib/persistent.mjs';
import { formatNumber, publish } from '../lib/report.mjs';
import { budget, resultsDir } from '../lib/settings.mjs';
import { makeTempDir, removeTempDir } from '../lib/temp-dir.mjs';
import { requestFor, shuffledIndexes } from '../lib/workload.mjs';

const SIZES = budget([100, 1_000, 10_000, 100_000], [100, 300]);
/** How long one store may spend filling, over all sizes. */
const FILL_BUDGET_MS = budget(120_000, 10_000);
const hitTiming = { timeMs: budget(400, 20), minSamples: budget(30, 4) };
const missTiming = { timeMs: budget(400, 20), minSamples: budget(5, 2) };
const HIT_CALLS = budget(20, 2);
/** Issue 6's bound on a miss's growth; a miss writes, so it moves with the disk's history. */
const MAX_MISS_GROWTH = 3;
/** Issue 14's bound on a hit's growth. */
const MAX_HIT_GROWTH = 1.3;
const FLAT_ROUNDS = budget(31, 3);
const FLAT_CALLS = budget(100, 2);
const COLORS = { 'cachier file core': '#d62728', cacache: '#1f77b4', 'cache-manager + keyv-file': '#2ca02c' };

/** @typedef {{ entries: number, hitUs?: number, missUs?: number, fillSeconds: number, skipped?: string }} Point */

/**
 * One store growing through the sizes.
 * @typedef {object} Grower
 * @property {import('../lib/persistent.mjs').PersistentContender} contender
 * @property {import('../lib/persistent.mjs').OpenStore} store
 * @property {string} dir
 * @property {() => number} computations
 * @property {number} fillSpentMs - time spent filling so far, against FILL_BUDGET_MS.
 * @property {number} filled - calls 0..filled-1 are stored.
 * @property {Point[]} points
 * @property {boolean} stopped - a fill overran the budget: larger sizes are skipped.
 */

/**
 * Measures a hit (existing keys, in shuffled order) and a miss (a key not
 * stored yet: computed and stored; a later fill overwrites those few keys).
 * @param {Grower} grower
 * @param {number} size
 * @param {'hit' | 'miss'} kind
 */
async function measureKind(grower, size, kind) {
  const { contender, store } = grower;
  if (kind === 'hit') {
    const order = shuffledIndexes(size, size);
    return measure(
      `${contender.name} hit`,
      sequential((i) => store.memo(requestFor(order[i % size] ?? 0)), HIT_CALLS),
      hitTiming,
    );
  }
  return measure(
    `${contender.name} miss`,
    sequential((i) => store.memo(requestFor(size + i)), 1),
    missTiming,
  );
}

/**
 * Grows every store to `size`, then measures the hits of all stores, then
 * their misses, so the figures compared at one size are taken close together
 * in time on a shared, noisy machine.
 * @param {Grower[]} growers
 * @param {number} size
 */
async function measureSize(growers, size) {
  const active = [];
  for (const grower of growers.filter((candidate) => !candidate.stopped)) {
    const fillStarted = performance.now();
    grower.filled = await grower.store.fill(grower.filled, size, fillStarted + FILL_BUDGET_MS - grower.fillSpentMs);
    grower.fillSpentMs += performance.now() - fillStarted;
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    if (grower.filled < size) {
      const skipped = `fill budget of ${FILL_BUDGET_MS / 1000} s spent at ${grower.filled.toLocaleString('en-US')} entries`;
      grower.points.push({ entries: size, fillSeconds, skipped });
      grower.stopped = true;
    } else {
      active.push({ grower, point: /** @type {Point} */ ({ entries: size, fillSeconds }) });
    }
  }
  for (const { grower, point } of active) {
    const before = grower.computations();
    point.hitUs = (await measureKind(grower, size, 'hit')).medianUs;
    const recomputed = grower.computations() - before;
    if (recomputed > 0) point.skipped = `${recomputed} hits recomputed`;
  }
  for (const { grower, point } of active) {
    point.missUs = (await measureKind(grower, size, 'miss')).medianUs;
    grower.points.push(point);
    console.log(
      `${grower.contender.name} at ${size.toLocaleString('en-US')} entries: filled in ${point.fillSeconds.toFixed(1)} s, ` +
        `hit ${formatNumber(point.hitUs ?? 0)} µs, miss ${formatNumber(point.missUs)} µs`,
    );
  }
}

/** @type {Record<string, string>} */
const unavailable = {};
/** @type {Grower[]} */
const growers = [];
for (const contender of PERSISTENT_CONTENDERS) {
  if (contender.unavailable) {
    unavailable[contender.name] = contender.unavailable;
    continue;
  }
  const dir = makeTempDir('scaling');
  const counted = countedQuotes();
  growers.push({
    contender,
    store: contender.open(dir, counted.asyncQuote),
    dir,
    computations: counted.computations,
    fillSpentMs: 0,
    filled: 0,
    points: [],
    stopped: false,
  });
}
for (const size of SIZES) await measureSize(growers, size);
/** @type {Record<string, Point[]>} */
const curves = Object.fromEntries(growers.map((grower) => [grower.contender.name, grower.points]));

/**
 * The table of one kind of call at one size.
 * @param {'hit' | 'miss'} kind
 * @param {number} size
 */
function tableOf(kind, size) {
  return {
    title: `${kind === 'hit' ? 'Hit' : 'Miss (compute and store)'} with ${size.toLocaleString('en-US')} entries`,
    valueLabel: 'median µs/call',
    ours: 'cachier file core',
    extraColumns: [{ key: 'fillSeconds', label: 'fill s (this step)' }],
    rows: PERSISTENT_CONTENDERS.map((contender) => {
      if (unavailable[contender.name]) return { contender: contender.name, unavailable: unavailable[contender.name] };
      const point = curves[contender.name]?.find((candidate) => candidate.entries === size);
      if (!point || point.skipped)
        return { contender: contender.name, unavailable: point?.skipped ?? 'skipped after a smaller size overran its fill budget' };
      return { contender: contender.name, value: kind === 'hit' ? point.hitUs : point.missUs, fillSeconds: point.fillSeconds };
    }),
  };
}

/**
 * Flatness, measured at the end in interleaved rounds so that time drift
 * between sizes cannot pass for growth: the grown store (largest size) against
 * a fresh store of the smallest size, each beside the floor of a bare
 * `readFileSync` of its own entry files in the same order. The floor's growth
 * is what the file system and the CPU caches add whatever cachier does.
 * @returns {Promise<{ table: import('../lib/report.mjs').Table, targets: import('../lib/report.mjs').Target[] }>}
 */
async function measureFlatness() {
  const grower = growers.find((candidate) => candidate.contender.name === 'cachier file core');
  const small = SIZES[0] ?? 100;
  const largest = SIZES.at(-1) ?? small;
  if (!grower || grower.stopped) return { table: { title: 'Flatness', valueLabel: 'median µs/call', rows: [] }, targets: [] };
  const smallDir = makeTempDir('scaling-small');
  const smallStore = PERSISTENT_CONTENDERS[0]?.open(smallDir, countedQuotes().asyncQuote);
  if (!smallStore) throw new Error('bench: the cachier file core contender is missing');
  await smallStore.fill(0, small, Infinity);
  /** The entry files of a store, in the order the hits ask for them. */
  const entryFiles = (/** @type {string} */ dir, /** @type {number} */ size) =>
    shuffledIndexes(size, size).map(
      (i) => keyPaths(versionLayout(dir, 'bench#quote', 'bench-quote-v1'), keyOfArguments([requestFor(i)])).entry,
    );
  const smallFiles = entryFiles(smallDir, small);
  const largeFiles = entryFiles(grower.dir, largest);
  const smallOrder = shuffledIndexes(small, small);
  const largeOrder = shuffledIndexes(largest, largest);
  const label = (/** @type {number} */ size) => `${size.toLocaleString('en-US')} entries`;
  /** @type {import('../lib/interleaved.mjs').Contender[]} */
  const contenders = [
    { name: `cachier file core hit, ${label(small)}`, call: (i) => smallStore.memo(requestFor(smallOrder[i % small] ?? 0)) },
    { name: `cachier file core hit, ${label(largest)}`, call: (i) => grower.store.memo(requestFor(largeOrder[i % largest] ?? 0)) },
    { name: `floor: readFileSync of the entry, ${label(small)}`, sync: true, call: (i) => readFileSync(smallFiles[i % small] ?? '') },
    { name: `floor: readFileSync of the entry, ${label(largest)}`, sync: true, call: (i) => readFileSync(largeFiles[i % largest] ?? '') },
    { name: `cachier file core miss, ${label(small)}`, call: (i) => smallStore.memo(requestFor(largest + small + i)) },
    { name: `cachier file core miss, ${label(largest)}`, call: (i) => grower.store.memo(requestFor(10 * largest + i)) },
  ];
  const figures = await interleaved(contenders, { rounds: FLAT_ROUNDS, calls: FLAT_CALLS });
  removeTempDir(smallDir);
  const growth = (/** @type {string} */ what) =>
    (figures.get(`${what}, ${label(largest)}`) ?? NaN) / (figures.get(`${what}, ${label(small)}`) ?? NaN);
  const hitGrowth = growth('cachier file core hit');
  const missGrowth = growth('cachier file core miss');
  const floorGrowth = growth('floor: readFileSync of the entry');
  return {
    table: {
      title: `Flatness: ${label(small)} against ${label(largest)}, ${FLAT_ROUNDS} interleaved rounds of ${FLAT_CALLS} calls`,
      valueLabel: 'median µs/call',
      ours: `cachier file core hit, ${label(small)}`,
      rows: contenders.map((contender) => ({ contender: contender.name, value: figures.get(contender.name) ?? NaN, note: '' })),
    },
    targets: [
      {
        claim: `the file core's hit costs at most ${MAX_HIT_GROWTH}x more at ${label(largest)} than at ${small} (a bare read grew ${formatNumber(floorGrowth)}x)`,
        met: hitGrowth <= MAX_HIT_GROWTH,
        measured: `${formatNumber(hitGrowth)}x`,
      },
      {
        claim: `the file core's miss costs at most ${MAX_MISS_GROWTH}x more at ${label(largest)} than at ${small}`,
        met: missGrowth <= MAX_MISS_GROWTH,
        measured: `${formatNumber(missGrowth)}x`,
      },
    ],
  };
}

const flatness = await measureFlatness();
for (const grower of growers) {
  await grower.store.close();
  removeTempDir(grower.dir, { later: true });
}
const tables = [...SIZES.flatMap((size) => [tableOf('hit', size), tableOf('miss', size)]), flatness.table];
publish('scaling', {
  title: 'Scenario 2: scaling with the number of entries',
  tables,
  targets: flatness.targets,
  curves,
  unavailable,
});

const series = Object.entries(curves).flatMap(([name, points]) =>
  /** @type {const} */ (['hit', 'miss']).map((kind) => ({
    label: `${name} ${kind}`,
    color: COLORS[/** @type {keyof typeof COLORS} */ (name)] ?? '#555',
    dashed: kind === 'miss',
    points: points
      .filter((point) => !point.skipped)
      .map((point) => ({ x: point.entries, y: (kind === 'hit' ? point.hitUs : point.missUs) ?? 0 })),
  })),
);
writeFileSync(
  join(resultsDir, 'scaling.svg'),
  renderLogLogChart({
    title: 'Median time per call vs entries in the cache (log-log)',
    xLabel: 'entries in the cache',
    yLabel: 'median µs per call (solid: hit, dashed: miss)',
    series,
  }),
);
