/**
 * One sample of scenario 5, in a fresh process. Usage:
 *   node cold-start-worker.mjs <contender> <cache dir> <index of a stored call>
 * Opens the contender's store and makes one call whose result is already
 * stored, timing only that (the modules are loaded first, so every contender
 * pays the same import cost, which is not counted). Prints one JSON line.
 */
import { persistentContender } from '../lib/persistent.mjs';
import { quoteOf, requestFor } from '../lib/workload.mjs';

const [name = '', dir = '', index = '0'] = process.argv.slice(2);
let computations = 0;
const started = performance.now();
const store = persistentContender(name).open(dir, async (/** @type {{ symbol: string, days: number }} */ request) => {
  computations++;
  return quoteOf(request);
});
await store.memo(requestFor(Number(index)));
const firstCallMs = performance.now() - started;
await store.close();
console.log(JSON.stringify({ firstCallMs, computations }));
process.exit(0);
