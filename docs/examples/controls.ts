import { cachier, cacheOf, disableCaching, enableCaching, setDefaults } from 'cachier';

let computations = 0;
const square = cachier(
  (n: number) => {
    computations++;
    return n * n;
  },
  { backend: 'memory' },
);

await square.precache([12], 144); // stored without computing
console.log(square(12), computations); // 144 0

console.log(square.withOptions({ skipCache: true })(3)); // 9: computed, not stored
console.log(square.withOptions({ overwriteCache: true })(12)); // 144: recomputed and stored
console.log(square.withOptions({ maxAge: '1h' })(12)); // 144: fresh enough for this call

setDefaults({ staleAfter: '1d' }); // every cached function, unless it sets its own
disableCaching(); // every call goes straight through
square(12);
enableCaching();

const { entries, hits, misses } = await cacheOf(square).cacheInfo();
console.log({ entries, hits, misses, computations }); // { entries: 1, hits: 2, misses: 0, computations: 3 }
await square.clearCache();
