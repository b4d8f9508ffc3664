// A tour of cachier through the @cachier tag: a miss, a hit, a hit in another
// process, a stale entry refreshed, and a background refresh with nextTime.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearCache, slowCube, slowSquare } from './squares.js';
import { timed } from './timed.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The demo keeps its cache in a temporary folder instead of ~/.cachier.
const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-demo-'));
process.env['CACHIER_DIR'] = cacheDir;

console.log('squares.ts tags slowSquare with `@cachier staleAfter=2s`; tspc rewrote it into a cached function.');
console.log('1. The first call computes (a miss: about half a second).');
await timed('slowSquare(12)', () => slowSquare(12));
console.log('2. The same call again is served from the cache (a hit: well under a millisecond).');
await timed('slowSquare(12)', () => slowSquare(12));
console.log('3. A new process finds the entry in the file cache: no computation there either.');
process.stdout.write(execFileSync(process.execPath, [join(import.meta.dirname, 'other-process.js')], { env: process.env }));
console.log('4. After staleAfter (2s) the entry is stale, so the next call recomputes.');
await sleep(2100);
await timed('slowSquare(12), 2.1 s later', () => slowSquare(12));

console.log('5. slowCube has `nextTime`: a stale entry is returned at once and refreshed in the background.');
await timed('slowCube(3)', () => slowCube(3));
await sleep(1100);
await timed('slowCube(3), stale: old value, no wait', () => slowCube(3));
await sleep(600);
await timed('slowCube(3), after the background refresh', () => slowCube(3));

const info = await slowSquare.cacheInfo();
console.log(
  `6. slowSquare.cacheInfo(): ${info.entries} entry, ${info.hits} hit, ${info.misses} miss, ${info.staleHits} stale (this process).`,
);
await clearCache();
console.log("7. The module's generated clearCache() emptied both caches, so the next call computes again.");
await timed('slowSquare(12)', () => slowSquare(12));
rmSync(cacheDir, { recursive: true, force: true });
