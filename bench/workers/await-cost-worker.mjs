/**
 * One Node version's figures for the await-cost scenario, in one process.
 * Usage: node await-cost-worker.mjs <runtime index.js> <cache dir> <quick: 0|1>
 *
 * Times a loop of awaits in code that never touches cachier, then lets cached
 * async functions compute (memory and file backends, a nested cached call,
 * a hit), then times the same loop again. Prints one JSON line:
 * { node, beforeUs, afterUs } (µs per await of the fastest loop).
 */
import { pathToFileURL } from 'node:url';

const [runtimePath = '', cacheDir = '', quickFlag = '0'] = process.argv.slice(2);
const quick = quickFlag === '1';
const { cachier } = await import(pathToFileURL(runtimePath).href);

const AWAITS = quick ? 1_000 : 100_000;
const SAMPLES = quick ? 3 : 101;

/** Code of the user's own: an async function awaited in a loop. */
async function step(i) {
  return i;
}

async function awaitLoop() {
  let sum = 0;
  for (let i = 0; i < AWAITS; i++) sum += await step(i);
  return sum;
}

/**
 * µs per await of the fastest of SAMPLES loops, after a warm-up: the fastest,
 * not the median, since the machine may be shared and a loop of awaits only
 * ever gets slower from what else runs; what is measured here is a cost every
 * await pays, which the fastest loop pays too.
 */
async function usPerAwait() {
  for (let i = 0; i < Math.ceil(SAMPLES / 2); i++) await awaitLoop();
  const samples = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await awaitLoop();
    samples.push(((performance.now() - started) * 1000) / AWAITS);
  }
  return Math.min(...samples);
}

const beforeUs = await usPerAwait();

const inMemory = cachier(async (x) => x * 2, { backend: 'memory', id: 'await-cost-memory' });
const onDisk = cachier(async (x) => (await inMemory(x)) + 1, { backend: 'file', cacheDir, id: 'await-cost-file' });
await onDisk(1);
await onDisk(1);

const afterUs = await usPerAwait();
console.log(JSON.stringify({ node: process.version, beforeUs, afterUs }));
