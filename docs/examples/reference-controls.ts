import { cachier, getDefaults, setDefaults } from 'cachier';

// Shelf life read from the result, e.g. an HTTP response's max-age.
let fetches = 0;
const fetchPage = cachier(async (url: string) => ({ url, body: `page ${++fetches}`, maxAgeSeconds: url.endsWith('/live') ? 0.05 : 3600 }), {
  backend: 'memory',
  staleAfter: (response) => response.maxAgeSeconds * 1000,
});
await fetchPage('/live');
await fetchPage('/archive');
await new Promise((resolve) => setTimeout(resolve, 100));
console.log((await fetchPage('/live')).body, (await fetchPage('/archive')).body); // page 3 page 2: only /live expired

// Per-call overrides of the function's options.
const square = cachier((n: number) => n * n, { backend: 'memory', staleAfter: '1h' });
console.log(await square.precache([12], 144)); // 144: precache answers the value it stored
console.log(square.withOptions({ staleAfter: '1d', nextTime: true, waitForCalcTimeout: '5s' })(12)); // 144

// Stale entries deleted on demand, or in the background with cleanupStale.
const reports = cachier(async (day: string) => `report for ${day}`, { backend: 'memory', staleAfter: 50, cleanupStale: true });
await reports('monday');
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(await reports.deleteStale()); // 1: the monday report was older than 50 ms

// Global defaults, including a hash for every function, and their effective values.
setDefaults({ staleAfter: '1d', hash: (args) => JSON.stringify(args) });
const { staleAfter, nextTime, backend } = getDefaults();
console.log({ staleAfter, nextTime, backend }); // { staleAfter: '1d', nextTime: false, backend: 'file' }
