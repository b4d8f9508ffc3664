// A tour of cachier through its runtime API: a miss, a hit, a stale entry
// refreshed, and a background refresh with nextTime.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachier } from '../dist/runtime/index.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-demo-'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed(label, call) {
  const started = performance.now();
  const value = await call();
  const ms = (performance.now() - started).toFixed(1);
  console.log(`  ${label.padEnd(44)} -> ${JSON.stringify(value)}  (${ms} ms)`);
}

const slowSquare = cachier(
  async function slowSquare(n) {
    await sleep(500);
    return { n, square: n * n, computedAt: new Date().toISOString().slice(11, 23) };
  },
  { staleAfter: '2s', cacheDir },
);

console.log('1. The first call computes (a miss: about half a second).');
await timed('slowSquare(12)', () => slowSquare(12));
console.log('2. The same call again is served from the cache (a hit: well under a millisecond).');
await timed('slowSquare(12)', () => slowSquare(12));
console.log('3. After staleAfter (2s) the entry is stale, so the next call recomputes.');
await sleep(2100);
await timed('slowSquare(12), 2.1 s later', () => slowSquare(12));

const slowCube = cachier(
  async function slowCube(n) {
    await sleep(500);
    return { n, cube: n ** 3, computedAt: new Date().toISOString().slice(11, 23) };
  },
  { staleAfter: '1s', nextTime: true, cacheDir },
);
console.log('4. With nextTime, a stale entry is returned at once and refreshed in the background.');
await timed('slowCube(3)', () => slowCube(3));
await sleep(1100);
await timed('slowCube(3), stale: old value, no wait', () => slowCube(3));
await sleep(600);
await timed('slowCube(3), after the background refresh', () => slowCube(3));

const info = await slowSquare.cacheInfo();
console.log(`5. slowSquare's cache: ${info.entries} entry, ${info.hits} hit, ${info.misses} miss, ${info.staleHits} stale.`);
rmSync(cacheDir, { recursive: true, force: true });
