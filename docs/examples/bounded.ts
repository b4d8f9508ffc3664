import { cachier } from 'cachier';

const render = cachier(async (page: number) => `<h1>page ${page}</h1>`, { backend: 'memory', maxEntries: 3 });

for (const page of [1, 2, 3]) await render(page);
await render(1); // a hit: page 1 is now the most recently used
await render(4); // one entry over the bound: page 2, the least recently used, is evicted

const { entries, evictions } = await render.cacheInfo();
console.log({ entries, evictions }); // { entries: 3, evictions: 1 }
