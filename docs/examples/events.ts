import { subscribe } from 'node:diagnostics_channel';
import { cachier, cachierChannels, type CachierComputationFinished, type CachierEvent } from 'cachier';

// One channel per kind of event; messages name the function and the backend.
for (const name of Object.values(cachierChannels)) {
  subscribe(name, (message) => console.log(name, (message as CachierEvent).id));
}
subscribe(cachierChannels.computationFinished, (message) => {
  const { durationMs } = message as CachierComputationFinished;
  if (durationMs > 1_000) console.log('slow computation');
});

const double = cachier(async (n: number) => n * 2, { backend: 'memory', id: 'double' });
await double(1); // cachier:miss double, cachier:computation-started double, cachier:computation-finished double
await double(1); // cachier:hit double
