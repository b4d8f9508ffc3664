// A team cache: a folder several users write on purpose. Every process that
// shares it sets the same CACHIER_SHARED_KEY (from your secret store); entries
// signed with another key, or not signed, are never served.
//   CACHIER_SHARED_KEY=... TEAM_CACHE=/srv/cache/reports node docs/examples/shared-cache.mjs
import { cachier } from 'cachier';

let computedHere = false;
const report = cachier(
  async function report(year) {
    computedHere = true;
    return `sales ${year}`;
  },
  // Processes sharing a cache must agree on the id, so name it.
  { id: 'reports#report', cacheDir: process.env.TEAM_CACHE, shared: true },
);

const value = await report(2026);
console.log(`report(2026) = ${value}, ${computedHere ? 'computed here' : 'served from the team cache'}`);
