// Run with: DATABASE_URL=postgres://user@localhost/app node docs/examples/postgres-cache.mjs
import pg from 'pg';
import { cachier } from 'cachier';

// Fail fast when the server is unreachable: cachier then warns and calls the function.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2_000 });
pool.on('error', (error) => console.error('idle PostgreSQL connection failed:', error.message));

const slowSquare = cachier(
  async function slowSquare(n) {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // stands for real work
    return n * n;
  },
  { backend: 'postgres', postgres: pool, staleAfter: '1d' },
);

let started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // computed, or served
started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // served from PostgreSQL
await pool.end();
