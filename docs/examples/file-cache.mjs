// Run twice with: node docs/examples/file-cache.mjs
// The first run computes (about one second); the second is served from disk.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachier } from 'cachier';

const slowSquare = cachier(
  async function slowSquare(n) {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // stands for real work
    return n * n;
  },
  // Without cacheDir, entries go to $CACHIER_DIR or ~/.cachier.
  { id: 'docs/examples/file-cache#slowSquare', cacheDir: join(tmpdir(), 'cachier-example'), staleAfter: '1d' },
);

const started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`);
console.log(await slowSquare.cacheInfo());
