// A child process that fills caches through real cached calls of the BUILT
// runtime, for the `cachier` command's tests:
//
//   node fill.mjs '<json config>'
//
// config: cacheDir, or mongo: { uri, database, collection } for the mongo backend,
// or redis: a Redis URL for the redis backend;
// functions: [{ id, sourceHash, count, from (first key, default 0), staleAfter,
// ageMs (entries dated this long ago), size (characters per value), overwrite }].
// Prints the number of computations.
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { cachier, setDefaults } from '../../../dist/runtime/index.js';

const config = JSON.parse(process.argv[2]);
const client = config.mongo ? new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5_000 }) : undefined;
const collection = client?.db(config.mongo.database).collection(config.mongo.collection);
const redis = config.redis ? new Redis(config.redis, { maxRetriesPerRequest: 1 }) : undefined;
if (config.cacheDir) setDefaults({ cacheDir: config.cacheDir });

let computations = 0;
for (const spec of config.functions) {
  const ageMs = spec.ageMs ?? 0;
  setDefaults({ clock: () => Date.now() - ageMs });
  const compute = cachier(
    async (key) => {
      computations++;
      return `${spec.id}:${key}:${'.'.repeat(spec.size ?? 0)}`;
    },
    {
      id: spec.id,
      sourceHash: spec.sourceHash ?? 'v1',
      ...(spec.staleAfter ? { staleAfter: spec.staleAfter } : {}),
      ...(collection ? { backend: 'mongo', mongetter: () => collection } : {}),
      ...(redis ? { backend: 'redis', redis } : {}),
    },
  );
  const call = spec.overwrite ? compute.withOptions({ overwriteCache: true }) : compute;
  const from = spec.from ?? 0;
  for (let key = from; key < from + spec.count; key++) await call(key);
}
await client?.close();
redis?.disconnect();
process.stdout.write(String(computations));
