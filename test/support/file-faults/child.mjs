// A child process for the fault-injection suite (test/runtime/backends/file/faults.test.ts),
// using the BUILT runtime as an application would.
//
//   node child.mjs '<json config>'
//
// config.mode:
//   "mixed"    calls `calls` times, on keys drawn from `keys` with a seeded
//              generator, clearCache() instead of a call one time in
//              `clearOneIn`; logs "<pid> compute <key>" for each computation
//              and "<pid> clear-start" / "<pid> clear-end" around each clear
//              to `sideFile`, and prints { wrong, calls, clears }.
//   "precache" stores `value` for `key` with precache(), as a planter would.
//   "call"     calls once for `key` and prints { value, computed, ms, doneAt, rssGrowthMB, warnings }
//              (ms: the call's duration; doneAt: Date.now() when it returned, before the process exits).
// Values are "value-<key>" unless stored otherwise; options go to cachier().
import { appendFileSync } from 'node:fs';
import { cachier } from '../../../dist/runtime/index.js';

const config = JSON.parse(process.argv[2]);
const warnings = [];
process.on('warning', (warning) => {
  if (warning.name === 'CachierWarning') warnings.push(`${warning.code}: ${warning.message}`);
});

/** Node emits a warning on the next tick, after promise continuations already queued: a call whose disk work ran synchronously resolves first. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

let computed = 0;
const price = cachier(
  async function price(key) {
    computed++;
    if (config.sideFile) appendFileSync(config.sideFile, `${process.pid} compute ${key}\n`);
    if (config.computeMs) await new Promise((resolve) => setTimeout(resolve, config.computeMs));
    return `value-${key}`;
  },
  { id: 'test/file-faults#price', sourceHash: 'v1', cacheDir: config.cacheDir, ...config.options },
);

function seeded(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

if (config.mode === 'mixed') {
  const random = seeded(config.seed);
  let wrong = 0;
  let clears = 0;
  for (let i = 0; i < config.calls; i++) {
    if (random() * config.clearOneIn < 1) {
      appendFileSync(config.sideFile, `${process.pid} clear-start\n`);
      await price.clearCache();
      appendFileSync(config.sideFile, `${process.pid} clear-end\n`);
      clears++;
      continue;
    }
    const key = config.keys[Math.floor(random() * config.keys.length)];
    if ((await price(key)) !== `value-${key}`) wrong++;
  }
  await settled();
  process.stdout.write(JSON.stringify({ wrong, calls: config.calls, clears, warnings }));
} else if (config.mode === 'precache') {
  await price.precache([config.key], config.value);
  await settled();
  process.stdout.write(JSON.stringify({ warnings }));
} else if (config.mode === 'call') {
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const value = await price(config.key);
  const ms = performance.now() - started;
  const doneAt = Date.now();
  const rssGrowthMB = (process.memoryUsage().rss - rssBefore) / 1024 ** 2;
  await settled();
  process.stdout.write(JSON.stringify({ value, computed, ms, doneAt, rssGrowthMB, warnings }));
} else {
  throw new Error(`unknown mode ${config.mode}`);
}
