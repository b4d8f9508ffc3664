/**
 * One of the processes of scenario 4. Usage:
 *   node cross-process-worker.mjs <contender> <cache dir> <worker index> <keys> <in flight>
 * Opens the contender's store, prints "ready", waits for a line on stdin,
 * then calls the memoized function once for each of the keys in its own
 * shuffled order, <in flight> calls at a time, and prints one JSON line:
 * how often the function really ran here, and how long the calls took.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { persistentContender } from '../lib/persistent.mjs';
import { quoteOf, requestFor, shuffledIndexes } from '../lib/workload.mjs';

const [name = '', dir = '', index = '0', keys = '0', inFlight = '1'] = process.argv.slice(2);
let computations = 0;
/** A function worth caching: it takes about a millisecond. */
async function slowQuote(/** @type {{ symbol: string, days: number }} */ request) {
  computations++;
  await sleep(1);
  return quoteOf(request);
}

const store = persistentContender(name).open(dir, slowQuote);
const order = shuffledIndexes(Number(keys), Number(index) + 1);
console.log('ready');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));

const started = performance.now();
let next = 0;
async function callNext() {
  while (next < order.length) await store.memo(requestFor(order[next++] ?? 0));
}
await Promise.all(Array.from({ length: Number(inFlight) }, callNext));
const elapsedMs = performance.now() - started;
await store.close();
console.log(JSON.stringify({ computations, calls: order.length, elapsedMs }));
process.exit(0);
