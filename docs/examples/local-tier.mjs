// Run with: REDIS_URL=redis://localhost:6379 node docs/examples/local-tier.mjs
import { Redis } from 'ioredis';
import { cachier, cacheOf } from 'cachier';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379', { maxRetriesPerRequest: 1, commandTimeout: 2_000 });

// local: true keeps a copy of each entry in this process: hits skip the round trip to Redis.
const price = cachier(async (symbol) => ({ symbol, price: 101.5 }), { backend: 'redis', redis, local: true, id: 'example/price' });

await cacheOf(price).clearCache(); // also drops the copies every other process holds
await price('ACME'); // computed, stored in Redis, kept here
await price('ACME'); // read back once, now that this process listens for changes
const started = performance.now();
for (let i = 0; i < 100_000; i++) await price('ACME');
console.log(`100,000 hits in ${Math.round(performance.now() - started)} ms, without a round trip`);

await cacheOf(price).precache(['ACME'], { symbol: 'ACME', price: 99 }); // announced on Redis pub/sub
console.log(`price('ACME').price = ${(await price('ACME')).price}`);
redis.disconnect();
