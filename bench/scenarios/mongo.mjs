/**
 * Scenario 6: the MongoDB core's hit and miss against the bundled
 * MongoDB-compatible test server (an in-memory JavaScript server in its own
 * process, over loopback TCP, through the real `mongodb` driver), or against
 * the server `MONGODB_URI` names. Figures are labelled with which one. The
 * driver's own `findOne` (one round trip) is the yardstick: a hit should cost
 * about one round trip. Round trips are the commands the driver's command
 * monitoring counts; issue 14's targets are a hit in 1 and a miss in 2
 * (claiming read, then store-and-release), counted over misses that follow
 * a miss: the first miss after hits reads first (3), reported beside them.
 */
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { LineChild } from '../lib/children.mjs';
import { countedQuotes } from '../lib/counted.mjs';
import { measure, sequential } from '../lib/measure.mjs';
import { cachier, hasBackend, notAvailableYet } from '../lib/ours.mjs';
import { formatNumber, publish } from '../lib/report.mjs';
import { roundTripTable } from '../lib/round-trips.mjs';
import { benchDir, budget } from '../lib/settings.mjs';
import { requestFor } from '../lib/workload.mjs';

const KEYS = 100;
const timing = { timeMs: budget(700, 20), minSamples: budget(30, 4) };
const CALLS = budget(10, 2);
const WARM_UP_MS = budget(3_000, 20);
const NO_MONGO_PEER = 'no MongoDB store among the peers compared here';
const OURS_HIT = 'cachier mongo core, hit';
const OURS_MISS = 'cachier mongo core, miss';

/**
 * The server to measure against: `MONGODB_URI`, or the bundled test server in a child process.
 * @returns {Promise<{ uri: string, label: string, stop: () => void }>}
 */
async function startServer() {
  const external = process.env['MONGODB_URI'];
  if (external) return { uri: external, label: 'the MongoDB server named by MONGODB_URI', stop: () => undefined };
  const child = new LineChild(join(benchDir, 'workers', 'mongo-server-worker.mjs'), []);
  return {
    uri: await child.nextLine(),
    label: "cachier's bundled MongoDB-compatible TEST server (in-memory, JavaScript, loopback), not a real mongod",
    stop: () => child.process.stdin?.end(),
  };
}

/**
 * Counts the driver's commands while `action` runs.
 * @param {MongoClient} client
 * @param {() => Promise<unknown>} action
 */
async function commandsDuring(client, action) {
  let commands = 0;
  const count = () => commands++;
  client.on('commandStarted', count);
  await action();
  client.off('commandStarted', count);
  return commands;
}

async function measureAll() {
  const server = await startServer();
  const client = new MongoClient(server.uri, { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
  try {
    const collection = client.db('cachier_bench').collection('cache');
    const counted = countedQuotes();
    const memo = cachier(counted.asyncQuote, { backend: 'mongo', mongetter: () => collection, id: 'bench#mongo', sourceHash: 'bench-v1' });
    await memo.clearCache();
    for (let i = 0; i < KEYS; i++) await memo(requestFor(i));
    const probe = client.db('cachier_bench').collection('probe');
    await probe.deleteMany({});
    await probe.insertMany(Array.from({ length: KEYS }, (_, i) => ({ _id: `k${i}`, value: requestFor(i) })));

    // The first of these hits follows the misses above: its read is the claiming one.
    const hitTrips =
      (await commandsDuring(client, async () => {
        for (let i = 0; i < KEYS; i++) await memo(requestFor(i));
      })) / KEYS;
    let missKey = 1_000_000;
    const firstMissTrips = await commandsDuring(client, () => memo(requestFor(missKey++)));
    const missTrips =
      (await commandsDuring(client, async () => {
        for (let i = 0; i < KEYS; i++) await memo(requestFor(missKey++));
      })) / KEYS;

    // The same query a hit sends, so server-side query cost and our client-side cost can be told apart.
    const stored = await collection
      .find({ functionId: 'bench#mongo' }, { projection: { functionId: 1, sourceHash: 1, key: 1 } })
      .limit(KEYS)
      .toArray();
    const hitCall = (/** @type {number} */ i) => memo(requestFor(i % KEYS));
    const sameQueryCall = (/** @type {number} */ i) => {
      const { functionId, sourceHash, key } = stored[i % stored.length] ?? {};
      return collection.findOne({ functionId, sourceHash, key }, { projection: { _id: 0, value: 1, computedAt: 1 } });
    };
    const missCall = () => memo(requestFor(missKey++));
    const findOneCall = (/** @type {number} */ i) => probe.findOne({ _id: `k${i % KEYS}` });
    const upsertCall = (/** @type {number} */ i) =>
      probe.updateOne({ _id: `new${i}` }, { $set: { value: requestFor(i) } }, { upsert: true });
    // Both processes (this one and the server) compile their hot paths over
    // the first seconds of calls, slower on a loaded machine: without this
    // warm-up of every workload in turn, whichever is measured first looks
    // up to three times slower. The misses that follow each follow a miss.
    const warmUpUntil = performance.now() + WARM_UP_MS;
    for (let i = 0; performance.now() < warmUpUntil; i++) {
      for (const call of [hitCall, sameQueryCall, findOneCall, upsertCall, missCall]) await call(i);
    }
    const hit = await measure(OURS_HIT, sequential(hitCall, CALLS), timing);
    const miss = await measure(OURS_MISS, sequential(missCall, CALLS), timing);
    const findOne = await measure('findOne', sequential(findOneCall, CALLS), timing);
    const sameQuery = await measure('findOne same query', sequential(sameQueryCall, CALLS), timing);
    const upsert = await measure('updateOne', sequential(upsertCall, CALLS), timing);
    const oneTrip = 'one round trip, no cache logic';
    return {
      label: server.label,
      targets: [
        {
          claim: 'MongoDB miss: 2 round trips (claiming read, store-and-release), counted by command monitoring',
          met: missTrips <= 2,
          measured: `${formatNumber(missTrips)} commands/miss over ${KEYS} misses each following a miss; the first miss after hits: ${firstMissTrips}`,
        },
        {
          claim: 'MongoDB hit: 1 round trip',
          met: hitTrips <= 1,
          measured: `${formatNumber(hitTrips)} commands/hit over ${KEYS} hits`,
        },
      ],
      tables: [
        roundTripTable(
          'MongoDB hit',
          OURS_HIT,
          { value: hit.medianUs, roundTrips: hitTrips },
          [
            { contender: 'driver findOne by _id (yardstick)', value: findOne.medianUs, note: oneTrip },
            {
              contender: 'driver findOne, the query a hit sends',
              value: sameQuery.medianUs,
              note: 'the same round trip without decoding and freshness checks',
            },
          ],
          NO_MONGO_PEER,
        ),
        roundTripTable(
          'MongoDB miss (claiming read, compute, store)',
          OURS_MISS,
          { value: miss.medianUs, roundTrips: missTrips },
          [{ contender: 'driver updateOne upsert (yardstick)', value: upsert.medianUs, note: oneTrip }],
          NO_MONGO_PEER,
        ),
      ],
    };
  } finally {
    await client.close();
    server.stop();
  }
}

if (hasBackend('mongo')) {
  const { label, tables, targets } = await measureAll();
  publish('mongo', { title: `Scenario 6: MongoDB core round trips, against ${label}`, server: label, tables, targets });
} else {
  publish('mongo', {
    title: 'Scenario 6: MongoDB core round trips',
    tables: [
      {
        title: 'MongoDB hit and miss',
        valueLabel: 'median µs/call',
        ours: OURS_HIT,
        rows: [{ contender: OURS_HIT, unavailable: notAvailableYet('mongo') }],
      },
    ],
  });
}
