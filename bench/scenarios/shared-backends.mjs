/**
 * Scenario 7: the redis, postgres and s3 cores' hit and miss, each against a
 * real server on loopback (Debian's redis-server and PostgreSQL, s3rver from
 * npm), or the servers REDIS_URL, DATABASE_URL and S3_ENDPOINT name. The
 * yardstick is one plain read (GET, SELECT by primary key, GetObject) and one
 * plain write (SET, INSERT ... ON CONFLICT, PutObject) of a value of the same
 * size through the same driver on the same server: a hit should cost about
 * one plain read.
 */
import { serialize } from 'node:v8';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { connectMachine, TEST_BUCKET } from '../../test/support/backends/machines.mjs';
import { TestPostgresServer, TestRedisServer, TestS3Server } from '../../test/support/servers/servers.mjs';
import { countedQuotes } from '../lib/counted.mjs';
import { measure, sequential } from '../lib/measure.mjs';
import { cachier, hasBackend, notAvailableYet } from '../lib/ours.mjs';
import { publish } from '../lib/report.mjs';
import { roundTripTable } from '../lib/round-trips.mjs';
import { budget } from '../lib/settings.mjs';
import { quoteOf, requestFor } from '../lib/workload.mjs';

const KEYS = 100;
const timing = { timeMs: budget(700, 20), minSamples: budget(30, 4) };
const CALLS = budget(10, 2);
const NO_PEER = 'no store on this server among the peers compared here';
const ONE_TRIP = 'one round trip, no cache logic';

/** The bytes a plain read or write moves: the serialized result, as a cache entry holds it. */
const valueBytes = (i) => serialize(quoteOf(requestFor(i)));

/**
 * Each backend: how to start its server, and its plain read and write through the driver of a machine.
 * @type {Record<string, { env: string, server: string, start: () => Promise<{ address: string, stop: () => Promise<void> }>, yardsticks: (options: any) => Promise<{ read: (i: number) => Promise<unknown>, write: (i: number) => Promise<unknown>, readName: string, writeName: string }> }>}
 */
const BACKENDS = {
  redis: {
    env: 'REDIS_URL',
    server: "Debian's redis-server on loopback (append-only file, fsync every second)",
    start: () => TestRedisServer.start({ fsyncEveryWrite: false }),
    yardsticks: async ({ redis }) => {
      for (let i = 0; i < KEYS; i++) await redis.callBuffer('SET', `bench-probe:${i}`, valueBytes(i));
      return {
        readName: 'GET of a key (yardstick)',
        read: (i) => redis.callBuffer('GET', `bench-probe:${i % KEYS}`),
        writeName: 'SET of a key (yardstick)',
        write: (i) => redis.callBuffer('SET', `bench-probe:w${i}`, valueBytes(i)),
      };
    },
  },
  postgres: {
    env: 'DATABASE_URL',
    server: "Debian's PostgreSQL on loopback (fsync off)",
    start: () => TestPostgresServer.start(),
    yardsticks: async ({ postgres }) => {
      await postgres.query({ text: 'CREATE TABLE IF NOT EXISTS cachier_bench_probe (id text PRIMARY KEY, value bytea)' });
      const write = (i) =>
        postgres.query({
          name: 'bench_write',
          text: 'INSERT INTO cachier_bench_probe (id, value) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET value = excluded.value',
          values: [`k${i}`, valueBytes(i)],
        });
      for (let i = 0; i < KEYS; i++) await write(i);
      return {
        readName: 'SELECT by primary key (yardstick)',
        read: (i) =>
          postgres.query({ name: 'bench_read', text: 'SELECT value FROM cachier_bench_probe WHERE id = $1', values: [`k${i % KEYS}`] }),
        writeName: 'INSERT ... ON CONFLICT (yardstick)',
        write: (i) => write(KEYS + i),
      };
    },
  },
  s3: {
    env: 'S3_ENDPOINT',
    server: 's3rver (S3-compatible, JavaScript, from npm) on loopback',
    start: () => TestS3Server.start(),
    yardsticks: async ({ s3 }) => {
      const put = (name, i) => s3.client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: name, Body: valueBytes(i) }));
      for (let i = 0; i < KEYS; i++) await put(`bench-probe/${i}`, i);
      return {
        readName: 'GetObject (yardstick)',
        read: async (i) => {
          const object = await s3.client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: `bench-probe/${i % KEYS}` }));
          return object.Body?.transformToByteArray();
        },
        writeName: 'PutObject (yardstick)',
        write: (i) => put(`bench-probe/w${i}`, i),
      };
    },
  },
};

/** Measures one backend against `address`. */
async function measureBackend(backend, address, label) {
  const machine = await connectMachine(backend, address);
  try {
    const counted = countedQuotes();
    const memo = cachier(counted.asyncQuote, { ...machine.options, id: `bench#${backend}`, sourceHash: 'bench-v1' });
    await memo.clearCache();
    for (let i = 0; i < KEYS; i++) await memo(requestFor(i));
    const plain = await BACKENDS[backend].yardsticks(machine.options);
    machine.roundTrips();
    for (let i = 0; i < KEYS; i++) await memo(requestFor(i));
    const hitTrips = machine.roundTrips().length / KEYS;
    let missKey = 1_000_000;
    for (let i = 0; i < KEYS; i++) await memo(requestFor(missKey++));
    const missTrips = machine.roundTrips().length / KEYS;

    const ours = (what) => `cachier ${backend} core, ${what}`;
    const hit = await measure(
      ours('hit'),
      sequential((i) => memo(requestFor(i % KEYS)), CALLS),
      timing,
    );
    const miss = await measure(
      ours('miss'),
      sequential(() => memo(requestFor(missKey++)), CALLS),
      timing,
    );
    const read = await measure(plain.readName, sequential(plain.read, CALLS), timing);
    const write = await measure(plain.writeName, sequential(plain.write, CALLS), timing);
    return [
      roundTripTable(
        `${backend} hit, against ${label}`,
        ours('hit'),
        { value: hit.medianUs, roundTrips: hitTrips },
        [{ contender: plain.readName, value: read.medianUs, note: ONE_TRIP }],
        NO_PEER,
      ),
      roundTripTable(
        `${backend} miss (claim, compute, store), against ${label}`,
        ours('miss'),
        { value: miss.medianUs, roundTrips: missTrips },
        [{ contender: plain.writeName, value: write.medianUs, note: ONE_TRIP }],
        NO_PEER,
      ),
    ];
  } finally {
    await machine.close();
  }
}

const tables = [];
for (const [backend, setup] of Object.entries(BACKENDS)) {
  const unavailable = (reason) => ({
    title: `${backend} hit and miss`,
    valueLabel: 'median µs/call',
    ours: `cachier ${backend} core`,
    rows: [{ contender: `cachier ${backend} core`, unavailable: reason }],
  });
  if (!hasBackend(backend)) {
    tables.push(unavailable(notAvailableYet(backend)));
    continue;
  }
  const external = process.env[setup.env];
  let server;
  try {
    server = external ? { address: external, stop: async () => undefined } : await setup.start();
  } catch (error) {
    tables.push(unavailable(`its server could not be started: ${error.message}`));
    continue;
  }
  try {
    tables.push(...(await measureBackend(backend, server.address, external ? `the server ${setup.env} names` : setup.server)));
  } finally {
    await server.stop();
  }
}
publish('shared-backends', {
  title: 'Scenario 7: Redis, PostgreSQL and S3 cores against one plain read or write on the same server',
  tables,
});
