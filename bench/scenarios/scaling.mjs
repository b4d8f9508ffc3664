/**
 * Scenario 2: hit and miss cost of each persistent store holding 100, 1,000,
 * 10,000 and 100,000 entries. A flat curve means a call costs the same
 * whatever the cache holds. Each store is filled through its own API
 * (cachier: `precache`), the fill time is recorded, and a size whose fill
 * overruns its budget is reported as such rather than measured.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLogLogChart } from '../lib/chart.mjs';
import { countedQuotes } from '../lib/counted.mjs';
import { measure, sequential } from '../lib/measure.mjs';
import { PERSISTENT_CONTENDERS } from '../lib/persistent.mjs';
import { formatNumber, publish } from '../lib/report.mjs';
import { budget, resultsDir } from '../lib/settings.mjs';
import { makeTempDir, removeTempDir } from '../lib/temp-dir.mjs';
import { requestFor, shuffledIndexes } from '../lib/workload.mjs';

const SIZES = budget([100, 1_000, 10_000, 100_000], [100, 300]);
/** Longest a store may take to fill one size before the size is skipped. */
const FILL_BUDGET_MS = budget(90_000, 10_000);
const hitTiming = { timeMs: budget(600, 20), minSamples: budget(30, 4) };
const missTiming = { timeMs: budget(600, 20), minSamples: budget(8, 2) };
const HIT_CALLS = budget(20, 2);
const COLORS = { 'cachier file core': '#d62728', cacache: '#1f77b4', 'cache-manager + keyv-file': '#2ca02c' };

/** @typedef {{ entries: number, hitUs?: number, missUs?: number, fillSeconds: number, skipped?: string }} Point */

/**
 * Fills a fresh store with `size` entries and measures a hit (an existing
 * key, in shuffled order) and a miss (a key never seen, computed and stored).
 * @param {import('../lib/persistent.mjs').PersistentContender} contender
 * @param {number} size
 * @returns {Promise<Point>}
 */
async function measureAt(contender, size) {
  const dir = makeTempDir('scaling');
  const counted = countedQuotes();
  const store = contender.open(dir, counted.asyncQuote);
  try {
    const fillStarted = performance.now();
    const filled = await store.fill(size, fillStarted + FILL_BUDGET_MS);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    if (filled < size) {
      return {
        entries: size,
        fillSeconds,
        skipped: `filling stopped after ${FILL_BUDGET_MS / 1000} s at ${filled.toLocaleString('en-US')} entries`,
      };
    }
    const order = shuffledIndexes(size, size);
    const hit = await measure(`${contender.name} hit`, sequential((i) => store.memo(requestFor(order[i % size] ?? 0)), HIT_CALLS), hitTiming);
    const hitComputations = counted.computations();
    const miss = await measure(`${contender.name} miss`, sequential((i) => store.memo(requestFor(size + i)), 1), missTiming);
    return {
      entries: size,
      hitUs: hit.medianUs,
      missUs: miss.medianUs,
      fillSeconds,
      ...(hitComputations > 0 ? { skipped: `${hitComputations} hits recomputed` } : {}),
    };
  } finally {
    await store.close();
    removeTempDir(dir);
  }
}

/** @type {Record<string, Point[]>} */
const curves = {};
/** @type {Record<string, string>} */
const unavailable = {};
for (const contender of PERSISTENT_CONTENDERS) {
  if (contender.unavailable) {
    unavailable[contender.name] = contender.unavailable;
    continue;
  }
  const points = [];
  for (const size of SIZES) {
    const point = await measureAt(contender, size);
    points.push(point);
    console.log(
      `${contender.name} at ${size.toLocaleString('en-US')} entries: filled in ${point.fillSeconds.toFixed(1)} s` +
        (point.skipped ? ` (${point.skipped})` : `, hit ${formatNumber(point.hitUs ?? 0)} µs, miss ${formatNumber(point.missUs ?? 0)} µs`),
    );
    if (point.hitUs === undefined) break;
  }
  curves[contender.name] = points;
}

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
    extraColumns: [{ key: 'fillSeconds', label: 'fill s' }],
    rows: PERSISTENT_CONTENDERS.map((contender) => {
      if (unavailable[contender.name]) return { contender: contender.name, unavailable: unavailable[contender.name] };
      const point = curves[contender.name]?.find((candidate) => candidate.entries === size);
      if (!point || point.skipped) return { contender: contender.name, unavailable: point?.skipped ?? 'skipped after a smaller size overran its fill budget' };
      return { contender: contender.name, value: kind === 'hit' ? point.hitUs : point.missUs, fillSeconds: point.fillSeconds };
    }),
  };
}

/** How much a call slows down from the smallest to the largest size measured. */
function flatnessTable() {
  return {
    title: `Flatness: cost at the largest size measured / cost at ${SIZES[0]} entries (1.00 = flat)`,
    valueLabel: 'growth',
    rows: Object.entries(curves).flatMap(([name, points]) =>
      /** @type {const} */ (['hit', 'miss']).map((kind) => {
        const measured = points.filter((point) => !point.skipped);
        const first = measured[0];
        const last = measured.at(-1);
        const of = (/** @type {Point | undefined} */ point) => (kind === 'hit' ? point?.hitUs : point?.missUs);
        if (!first || !last || of(first) === undefined) return { contender: `${name} ${kind}`, unavailable: 'not measured' };
        return {
          contender: `${name} ${kind}`,
          value: (of(last) ?? 0) / (of(first) ?? 1),
          note: `${first.entries.toLocaleString('en-US')} → ${last.entries.toLocaleString('en-US')} entries`,
        };
      }),
    ),
  };
}

const tables = SIZES.flatMap((size) => [tableOf('hit', size), tableOf('miss', size)]);
tables.push(flatnessTable());
publish('scaling', { title: 'Scenario 2: scaling with the number of entries', tables, curves, unavailable });

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
