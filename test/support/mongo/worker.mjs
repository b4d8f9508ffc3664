// A child process standing for one machine: its own MongoClient, the BUILT
// cachier runtime, one cached function. Appends its tag to `countFile` each
// time the function body runs, and prints the results of its calls as JSON.
//
// Usage: node worker.mjs '{"uri":..., "collection":..., "id":..., "tag":..., "countFile":..., "args":[1], "delayMs":0, "lease":"30s"}'
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { cachier } from '../../../dist/runtime/index.js';

const config = JSON.parse(process.argv[2]);
const client = new MongoClient(config.uri, { serverSelectionTimeoutMS: 5_000 });
const collection = client.db(config.database).collection(config.collection);

const compute = cachier(
  async (x) => {
    appendFileSync(config.countFile, `${config.tag}\n`);
    await sleep(config.delayMs ?? 0);
    return { x, computedBy: config.tag };
  },
  { backend: 'mongo', mongetter: () => collection, id: config.id, sourceHash: 'v1', lease: config.lease ?? '30s' },
);

const results = await Promise.all(config.args.map((x) => compute(x)));
process.stdout.write(JSON.stringify(results));
await client.close();
