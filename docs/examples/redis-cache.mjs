// Run with: REDIS_URL=redis://localhost:6379 node docs/examples/redis-cache.mjs
import { Redis } from 'ioredis';
import { cachier } from 'cachier';

// Fail fast when the server is unreachable: cachier then warns and calls the function.
const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379', { maxRetriesPerRequest: 1, commandTimeout: 2_000 });

const slowSquare = cachier(
  async function slowSquare(n) {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // stands for real work
    return n * n;
  },
  { backend: 'redis', redis, staleAfter: '1d' },
);

let started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // computed, or served
started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // served from Redis
redis.disconnect();
