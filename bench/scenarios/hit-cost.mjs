/**
 * Scenario 1: the cost of a cache hit with one small-object argument, in
 * memory (cachier's memory core against memoizee and p-memoize) and on disk
 * (cachier's file core, default and `reload: false`, against cacache and
 * cache-manager over keyv-file).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { countedQuotes } from '../lib/counted.mjs';
import { measure, sequential, sequentialSync } from '../lib/measure.mjs';
import { cachier, cachierChannels, hasBackend } from '../lib/ours.mjs';
import { persistentRows } from '../lib/persistent.mjs';
import { memoizeeAsync, memoizeeSync, pMemoized } from '../lib/peers.mjs';
import { publish } from '../lib/report.mjs';
import { budget } from '../lib/settings.mjs';
import { makeTempDir } from '../lib/temp-dir.mjs';
import { requestFor } from '../lib/workload.mjs';

/** Distinct keys the hits cycle through. */
const KEYS = budget(100, 10);
const timing = { timeMs: budget(700, 20), minSamples: budget(40, 4) };
const IN_MEMORY_CALLS = budget(200, 10);
const PERSISTENT_CALLS = budget(20, 2);

/**
 * Fills the cache with KEYS entries, then measures hits cycling over them.
 * @param {string} contender
 * @param {(request: { symbol: string, days: number }) => unknown} memoized
 * @param {{ sync?: boolean, calls: number, computations: () => number }} how
 * @returns {Promise<import('../lib/report.mjs').Row>}
 */
async function hitRow(contender, memoized, how) {
  // All at once: keyv-file resolves each set after one shared debounced write.
  await Promise.all(Array.from({ length: KEYS }, (_, i) => memoized(requestFor(i))));
  const call = (/** @type {number} */ i) => memoized(requestFor(i % KEYS));
  const workload = how.sync ? sequentialSync(call, how.calls) : sequential(call, how.calls);
  const measured = await measure(contender, workload, timing);
  const extraRuns = how.computations() - KEYS;
  return {
    contender,
    value: measured.medianUs,
    p75: measured.p75Us,
    samples: measured.samples,
    note: extraRuns === 0 ? '' : `${extraRuns} calls recomputed instead of hitting`,
  };
}

async function inMemorySync() {
  const ours = countedQuotes();
  const memoizee = countedQuotes();
  return {
    title: 'Hit, in memory, synchronous function',
    valueLabel: 'median µs/call',
    ours: 'cachier memory core',
    extraColumns: [{ key: 'p75', label: 'p75 µs' }],
    rows: [
      await hitRow('cachier memory core', cachier(ours.syncQuote, { backend: 'memory', id: 'bench/hit#sync' }), {
        sync: true,
        calls: IN_MEMORY_CALLS,
        computations: ours.computations,
      }),
      await hitRow('memoizee', memoizeeSync(memoizee.syncQuote), {
        sync: true,
        calls: IN_MEMORY_CALLS,
        computations: memoizee.computations,
      }),
      { contender: 'p-memoize', unavailable: 'async functions only' },
      ...(await metricsCostRows()),
      ...(await eventsCostRows()),
    ],
  };
}

/**
 * The cost of events on the same hit: with a subscriber on `cachier:hit`
 * (each hit builds and publishes a message), and with subscribers on the
 * other channels only (a hit checks its channel and builds nothing). Without
 * any subscriber is the table's own "cachier memory core" row.
 */
async function eventsCostRows() {
  const rows = [];
  for (const [contender, channels, note] of [
    ['cachier memory core, a cachier:hit subscriber', ['hit'], 'every hit publishes a message'],
    ['cachier memory core, subscribers on other channels', ['miss', 'computationFinished'], 'hits publish nothing'],
  ]) {
    let heard = 0;
    const listener = () => heard++;
    for (const name of channels) subscribe(cachierChannels[name], listener);
    const counted = countedQuotes();
    const memoized = cachier(counted.syncQuote, { backend: 'memory', id: `bench/hit#sync-${contender}` });
    const row = await hitRow(contender, memoized, { sync: true, calls: IN_MEMORY_CALLS, computations: counted.computations });
    for (const name of channels) unsubscribe(cachierChannels[name], listener);
    rows.push({ ...row, note: row.note || `${note}${heard === 0 ? ' (none heard: the subscriber was not reached)' : ''}` });
  }
  return rows;
}

/**
 * The cost of metrics on the hit path: the memory core's sync hit (the
 * cheapest, where it shows most) with metrics off, and with every hit timed.
 * The default (1 % of hits timed) is the table's own "cachier memory core" row.
 */
async function metricsCostRows() {
  const rows = [];
  for (const [contender, options, note] of [
    ['cachier memory core, metrics: false', { metrics: false }, 'counts nothing, times nothing'],
    ['cachier memory core, every hit timed', { metricsSamplingRate: 1 }, 'metricsSamplingRate: 1'],
  ]) {
    const counted = countedQuotes();
    const memoized = cachier(counted.syncQuote, { backend: 'memory', id: `bench/hit#sync-${contender}`, ...options });
    const row = await hitRow(contender, memoized, { sync: true, calls: IN_MEMORY_CALLS, computations: counted.computations });
    rows.push({ ...row, note: row.note || note });
  }
  return rows;
}

async function inMemoryAsync() {
  const ours = countedQuotes();
  const memoizee = countedQuotes();
  const pMemoize = countedQuotes();
  return {
    title: 'Hit, in memory, async function',
    valueLabel: 'median µs/call',
    ours: 'cachier memory core',
    extraColumns: [{ key: 'p75', label: 'p75 µs' }],
    rows: [
      await hitRow('cachier memory core', cachier(ours.asyncQuote, { backend: 'memory', id: 'bench/hit#async' }), {
        calls: IN_MEMORY_CALLS,
        computations: ours.computations,
      }),
      await hitRow('memoizee (promise: true)', memoizeeAsync(memoizee.asyncQuote), {
        calls: IN_MEMORY_CALLS,
        computations: memoizee.computations,
      }),
      await hitRow('p-memoize', pMemoized(pMemoize.asyncQuote), { calls: IN_MEMORY_CALLS, computations: pMemoize.computations }),
    ],
  };
}

async function persistentAsync() {
  const dir = makeTempDir('hit');
  const rows = await persistentRows(async (contender) => {
    const counted = countedQuotes();
    const store = contender.open(join(dir, contender.name), counted.asyncQuote);
    const row = await hitRow(contender.name, store.memo, { calls: PERSISTENT_CALLS, computations: counted.computations });
    await store.close();
    return row;
  });
  if (hasBackend('file')) {
    const counted = countedQuotes();
    const memoized = cachier(counted.asyncQuote, {
      backend: 'file',
      cacheDir: join(dir, 'no-reload'),
      reload: false,
      id: 'bench/hit#file',
    });
    const row = await hitRow('cachier file core, reload: false', memoized, { calls: PERSISTENT_CALLS, computations: counted.computations });
    rows.splice(1, 0, { ...row, note: row.note || 'trusts entries it has read; not fresh across processes' });
  }
  return {
    title: 'Hit, persistent, async function',
    valueLabel: 'median µs/call',
    ours: 'cachier file core',
    extraColumns: [{ key: 'p75', label: 'p75 µs' }],
    rows,
  };
}

publish('hit-cost', {
  title: `Scenario 1: hit cost, one small-object argument, ${KEYS} keys`,
  tables: [await inMemorySync(), await inMemoryAsync(), await persistentAsync()],
});
