// Measures (does not assert) the cost of a hit and a miss of the file core as
// the number of entries grows. Run after `npm run build`:
//
//   node test/support/file-core/scaling.mjs [entries...]     (default 100 10000 100000)
//
// For each size it fills a fresh cache folder, then times hits on random
// existing keys and misses on new keys, for an async and a sync function,
// with reload on (the default) and off. Each figure is the median of 5 batches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachier } from '../../../dist/runtime/index.js';

const sizes = process.argv.slice(2).map(Number);
const TIMED_CALLS = 2_000;

function wrap(cacheDir, flavour, reload) {
  const options = { id: 'scaling#f', sourceHash: 'v1', cacheDir, reload };
  return flavour === 'async' ? cachier(async (x) => ({ x }), options) : cachier((x) => ({ x }), options);
}

const BATCHES = 5;

// The median of several batches, so that a burst of load from other programs
// on the machine does not decide the figure.
async function microsPerCall(fn, args) {
  const batchSize = Math.ceil(args.length / BATCHES);
  const perCall = [];
  for (let start = 0; start < args.length; start += batchSize) {
    const batch = args.slice(start, start + batchSize);
    const started = process.hrtime.bigint();
    for (const arg of batch) await fn(arg);
    perCall.push(Number(process.hrtime.bigint() - started) / 1_000 / batch.length);
  }
  return perCall.sort((a, b) => a - b)[Math.floor(perCall.length / 2)];
}

const rows = [];
for (const size of sizes.length > 0 ? sizes : [100, 10_000, 100_000]) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-scaling-'));
  const fill = wrap(cacheDir, 'sync', true);
  for (let i = 0; i < size; i++) fill(i);
  let fresh = size;
  for (const flavour of ['async', 'sync']) {
    for (const reload of [true, false]) {
      const fn = wrap(cacheDir, flavour, reload);
      const existing = Array.from({ length: TIMED_CALLS }, () => Math.floor(Math.random() * size));
      // An untimed pass first: it warms up the JIT and, with reload: false, loads each key once.
      await microsPerCall(fn, existing);
      const hit = await microsPerCall(fn, existing);
      const newKeys = Array.from({ length: TIMED_CALLS / 4 }, () => fresh++);
      const miss = await microsPerCall(fn, newKeys);
      rows.push({ entries: size, flavour, reload, 'hit µs': hit.toFixed(1), 'miss µs': miss.toFixed(1) });
    }
  }
  rmSync(cacheDir, { recursive: true, force: true });
}
console.table(rows);
