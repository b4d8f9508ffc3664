// A child process standing for one machine of any backend: its own client,
// the BUILT cachier runtime, one cached function. Appends its tag to
// `countFile` each time the function body runs; prints its results as JSON.
//
// `warmUp` arguments are called one after the other first, without the delay
// (their results are not printed), so that `args` run after this process has
// seen misses.
//
// Usage: node worker.mjs '{"backend":..., "address":..., "id":..., "tag":..., "countFile":..., "args":[1], "warmUp":[], "delayMs":0, "lease":"30s"}'
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cachier } from '../../../dist/runtime/index.js';
import { connectMachine } from './machines.mjs';

const config = JSON.parse(process.argv[2]);
const machine = await connectMachine(config.backend, config.address);

const compute = cachier(
  async (x) => {
    appendFileSync(config.countFile, `${config.tag}\n`);
    await sleep(config.warmUp?.includes(x) ? 0 : (config.delayMs ?? 0));
    return { x, computedBy: config.tag };
  },
  { ...machine.options, id: config.id, sourceHash: 'v1', lease: config.lease ?? '30s' },
);

for (const x of config.warmUp ?? []) await compute(x);
const results = await Promise.all(config.args.map((x) => compute(x)));
process.stdout.write(JSON.stringify(results));
await machine.close();
