// Run with: MONGODB_URI=mongodb://localhost:27017 node docs/examples/mongodb-cache.mjs
import { MongoClient } from 'mongodb';
import { cachier } from 'cachier';

const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017', {
  // Fail fast when the server is unreachable: cachier then warns and calls the function.
  serverSelectionTimeoutMS: 2_000,
});
// One Collection object, returned on every call: the index is created once per process.
const cacheCollection = client.db('app').collection('cachier');

const slowSquare = cachier(
  async function slowSquare(n) {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // stands for real work
    return n * n;
  },
  { backend: 'mongo', mongetter: () => cacheCollection, staleAfter: '1d' },
);

let started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // computed, or served
started = Date.now();
console.log(`slowSquare(12) = ${await slowSquare(12)} in ${Date.now() - started}ms`); // served from MongoDB
await client.close();
