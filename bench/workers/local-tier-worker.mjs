/**
 * The reader process of scenario 12's invalidation latency. Usage:
 *   node local-tier-worker.mjs <backend> <address> <function id>
 * Keeps a local copy of one entry (the `local` option), prints "ready", then,
 * for each round number read on stdin: prints "watching", calls the function
 * until it answers that round's value (each call a local hit until the
 * copy is dropped), and prints the epoch time (ms, fractional) it did.
 */
import { createInterface } from 'node:readline';
import { cachier } from '../../dist/runtime/index.js';
import { connectMachine } from '../../test/support/backends/machines.mjs';

const [backend = '', address = '', id = ''] = process.argv.slice(2);
const machine = await connectMachine(backend, address);
const read = cachier(async () => ({ round: -1 }), { ...machine.options, id, sourceHash: 'bench-v1', local: true });
const now = () => performance.timeOrigin + performance.now();
// A 1 ms pause between looks, not a busy loop: the reader must not starve the server and the writer of CPU.
const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 1));

// Until the channel listens, reads go to the server: wait for one served locally.
for (let served = false; !served; ) {
  await read(1);
  machine.roundTrips();
  await read(1);
  served = machine.roundTrips().length === 0;
  await yieldToMessages();
}
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const round = Number(line);
  console.log('watching');
  while ((await read(1)).round !== round) await yieldToMessages();
  console.log(String(now()));
}
await machine.close();
