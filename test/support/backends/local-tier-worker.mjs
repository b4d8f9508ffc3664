// A child process standing for another machine that changes the entries of a
// function whose callers keep local copies (the `local` option): it stores,
// clears or forgets through the BUILT runtime with `local: true`, so that the
// change is announced on the backend's invalidation channel, then exits.
//
// Usage: node local-tier-worker.mjs '{"backend":..., "address":..., "id":..., "action":"precache"|"clear"|"forget", "arg":1, "value":...}'
import { cachier, cacheOf } from '../../../dist/runtime/index.js';
import { FunctionCache } from '../../../dist/runtime/engine/function-cache.js';
import { connectMachine } from './machines.mjs';

const config = JSON.parse(process.argv[2]);
const machine = await connectMachine(config.backend, config.address);
const options = { ...machine.options, id: config.id, sourceHash: 'v1', local: true };
const body = async (x) => ({ x, computedBy: 'worker' });

if (config.action === 'forget') {
  // forget(...args) is the public face of core.delete(key); the engine's cache reaches the core directly.
  const cache = new FunctionCache(body, options, { id: config.id, sourceHash: 'v1', isAsync: true });
  const environment = cache.resolve();
  await environment.core.delete(cache.keyOf(environment, undefined, [config.arg]));
} else {
  const compute = cachier(body, options);
  if (config.action === 'precache') await cacheOf(compute).precache([config.arg], config.value);
  else await cacheOf(compute).clearCache();
}
process.stdout.write(String(Date.now()));
await machine.close();
