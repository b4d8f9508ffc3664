import { cachier } from 'cachier';

// Stands for an expensive call: an API, a query, a long computation.
async function fetchPricesFromUpstream(symbol: string): Promise<number[]> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return [symbol.length, symbol.length * 2];
}

export const prices = cachier(
  async function prices(symbol: string): Promise<number[]> {
    return fetchPricesFromUpstream(symbol);
  },
  { staleAfter: '3d' },
);

console.log(await prices('ACME')); // computed (300 ms), stored in ~/.cachier
console.log(await prices('ACME')); // served from the cache, in this process or the next
console.log(await prices.cacheInfo()); // { entries: 1, hits: 1, misses: 1, ... }
await prices.clearCache();
