/**
 * Scenario: what `maxEntries` costs the file backend's miss, at 100,000
 * entries (issue 24). Two caches are filled to the bound, one with
 * `maxEntries: 100_000` and one without; then each takes misses in
 * interleaved rounds. Every miss of the bounded cache past the bound stores
 * one entry over it, so it looks at the whole cache and evicts a batch every
 * tenth of the bound: the figure compared is the mean over all rounds (the
 * looks included, amortised over the stores between them), not a median,
 * which would leave the looks out. An async function's look runs after its
 * store has answered, on the thread pool: the scenario then waits until the
 * bounded cache is back within its bound, and reports how long that took.
 */
import { cachier } from '../lib/ours.mjs';
import { countedQuotes } from '../lib/counted.mjs';
import { formatNumber, publish } from '../lib/report.mjs';
import { budget } from '../lib/settings.mjs';
import { makeTempDir, removeTempDir } from '../lib/temp-dir.mjs';
import { requestFor } from '../lib/workload.mjs';

const ENTRIES = budget(100_000, 2_000);
/** Misses per round and rounds: over two looks' worth of stores in all (a look comes every tenth of the bound). */
const CALLS = budget(1_000, 100);
const ROUNDS = budget(25, 5);
const LIMIT = 1.2;
/** How long the bounded cache may take to come back within its bound once the misses end. */
const SETTLE_LIMIT_MS = 300_000;

const contenders = [
  { name: 'file, maxEntries 100,000', options: { maxEntries: ENTRIES } },
  { name: 'file, no bound', options: {} },
].map(({ name, options }) => {
  const dir = makeTempDir('bounded');
  const { asyncQuote: body } = countedQuotes();
  const fn = cachier(body, { backend: 'file', cacheDir: dir, id: 'bounded-bench', sourceHash: 'v1', metrics: true, ...options });
  return { name, fn, dir, spentMs: 0, calls: 0, slowestMs: 0 };
});

const filledStarted = performance.now();
for (const contender of contenders) {
  for (let i = 0; i < ENTRIES; i++) await contender.fn.precache([requestFor(i)], { filled: i });
}
const fillSeconds = (performance.now() - filledStarted) / 1000;

// Keys no fill used: every call is a miss that computes and stores.
let next = ENTRIES;
for (let round = -1; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? contenders : [...contenders].reverse();
  const first = next;
  for (const contender of order) {
    for (let i = 0; i < CALLS; i++) {
      const started = performance.now();
      await contender.fn(requestFor(first + i));
      const ms = performance.now() - started;
      if (round < 0) continue;
      contender.spentMs += ms;
      contender.calls++;
      contender.slowestMs = Math.max(contender.slowestMs, ms);
    }
  }
  next += CALLS;
}

const [bounded, unbounded] = contenders;
const meanUs = (contender) => (contender.spentMs * 1000) / contender.calls;
const ratio = meanUs(bounded) / meanUs(unbounded);
const settleStarted = performance.now();
let info = await bounded.fn.cacheInfo();
while (info.entries > ENTRIES && performance.now() - settleStarted < SETTLE_LIMIT_MS) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  info = await bounded.fn.cacheInfo();
}
const settleSeconds = (performance.now() - settleStarted) / 1000;

/** @type {import('../lib/report.mjs').Table} */
const table = {
  title: `File miss at ${formatNumber(ENTRIES)} entries, mean µs per miss over ${formatNumber(ROUNDS * CALLS)} misses (looks included)`,
  valueLabel: 'mean µs/miss',
  ours: 'file, no bound',
  rows: contenders.map((contender) => ({ contender: contender.name, value: meanUs(contender), slowestMs: contender.slowestMs, note: '' })),
  extraColumns: [{ key: 'slowestMs', label: 'slowest miss, ms (a look)' }],
};
const targets = [
  {
    claim: `file miss with maxEntries at ${formatNumber(ENTRIES)} entries: <= ${LIMIT}x the miss without it`,
    met: ratio <= LIMIT,
    measured: `${formatNumber(ratio)}x`,
  },
  {
    claim: 'the bounded cache is back within maxEntries once its background looks end',
    met: info.entries <= ENTRIES,
    measured: `${formatNumber(info.entries)} entries, ${formatNumber(info.evictions)} evicted, after ${formatNumber(settleSeconds)} s`,
  },
];
publish('bounded', {
  title: 'Scenario: bounded caches, the cost of maxEntries on a file miss',
  tables: [table],
  targets,
  fillSeconds,
  settleSeconds,
  evictions: info.evictions,
});
for (const contender of contenders) removeTempDir(contender.dir, { later: true });
