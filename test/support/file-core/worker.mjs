// A child process for the file-core tests: wraps one function with the BUILT
// runtime, calls it for each key of its config, and prints what it got.
//
//   node worker.mjs '<json config>'
//
// config: cacheDir, sideFile (each computation appends "<pid> <key>\n"),
// keys, sync (wrap a sync function), computeMs (how long a computation takes),
// prefix (values are "<prefix>-<key>"), concurrency (async calls in flight),
// options (extra cachier() options), waitForRefresh (let nextTime refreshes finish),
// padding (characters appended to each value, for bigger files), overwrite (recompute every key),
// busy (a sync computation spins on the CPU for computeMs instead of sleeping).
// The injected clock runs CLOCK_OFFSET_MS ahead of real time.
import { appendFileSync } from 'node:fs';
import { cachier, setDefaults } from '../../../dist/runtime/index.js';

const config = JSON.parse(process.argv[2]);
const prefix = config.prefix ?? 'value';
const padding = '.'.repeat(config.padding ?? 0);
const computeMs = config.computeMs ?? 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

setDefaults({
  cacheDir: config.cacheDir,
  clock: () => Date.now() + Number(process.env.CLOCK_OFFSET_MS ?? 0),
});

const warnings = [];
process.on('warning', (warning) => {
  if (warning.name === 'CachierWarning') warnings.push(`${warning.code}: ${warning.message}`);
});

function recordComputation(key) {
  appendFileSync(config.sideFile, `${process.pid} ${key}\n`);
}

const work = config.sync
  ? function work(key) {
      recordComputation(key);
      if (config.busy) for (const until = Date.now() + computeMs; Date.now() < until; );
      else if (computeMs > 0) Atomics.wait(sleeper, 0, 0, computeMs);
      return `${prefix}-${key}${padding}`;
    }
  : async function work(key) {
      recordComputation(key);
      if (computeMs > 0) await new Promise((resolve) => setTimeout(resolve, computeMs));
      return `${prefix}-${key}${padding}`;
    };

const wrapped = cachier(work, { id: 'test/file-core#work', sourceHash: 'v1', ...config.options });
const cached = config.overwrite ? wrapped.withOptions({ overwriteCache: true }) : wrapped;

const results = new Array(config.keys.length);
let next = 0;
async function callNext() {
  while (next < config.keys.length) {
    const index = next++;
    results[index] = await cached(config.keys[index]);
  }
}
await Promise.all(Array.from({ length: config.sync ? 1 : (config.concurrency ?? 1) }, callNext));
if (config.waitForRefresh) await new Promise((resolve) => setTimeout(resolve, config.waitForRefresh));
// Warnings are emitted on the next tick: a sync call's come after its value.
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(JSON.stringify({ results, warnings }));
