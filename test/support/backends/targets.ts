import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { inject } from 'vitest';
import type { Backend, S3Location } from '../../../runtime/index.js';
import type { ServerAddress } from '../servers/global-setup.js';
import { TestPostgresServer, TestRedisServer, TestS3Server, type RestartableServer } from '../servers/servers.mjs';
import { TestMongoServer } from '../mongo-server/server.js';
import { connectMachine, TEST_BUCKET } from './machines.mjs';

/** A backend as the conformance suite sees it. */
export interface BackendTarget {
  readonly backend: Backend;
  /** Why its tests skip (its server could not be started), if they do. */
  readonly skip: string | undefined;
  /** Whether other processes share its entries. */
  readonly sharedAcrossProcesses: boolean;
  /** Where machines connect (a URL; for the file backend a cache folder). */
  address(): string;
  /** Replaces the stored bytes of every entry of `functionId` by garbage; undefined where entries are live values. */
  readonly garble: ((address: string, functionId: string) => Promise<void>) | undefined;
  /** Starts a server of its own (for tests that stop it); undefined for backends without a server. */
  readonly ownServer: (() => Promise<RestartableServer>) | undefined;
}

const urlOf = (server: ServerAddress): string | undefined => ('url' in server ? server.url : undefined);
const skipOf = (server: ServerAddress): string | undefined => ('skip' in server ? server.skip : undefined);

/** Every backend, with where its test server is (or why it is not). */
export function backendTargets(): BackendTarget[] {
  const fileDir = mkdtempSync(join(tmpdir(), 'cachier-conformance-'));
  const redis = inject('redisServer');
  const postgres = inject('postgresServer');
  const s3 = inject('s3Server');
  return [
    {
      backend: 'memory',
      skip: undefined,
      sharedAcrossProcesses: false,
      address: () => '',
      garble: undefined,
      ownServer: undefined,
    },
    {
      backend: 'file',
      skip: undefined,
      sharedAcrossProcesses: true,
      address: () => fileDir,
      garble: async (address) => garbleFiles(address),
      ownServer: undefined,
    },
    {
      backend: 'mongo',
      skip: undefined,
      sharedAcrossProcesses: true,
      address: () => inject('mongoUri'),
      garble: async (address, functionId) => {
        const client = await new MongoClient(address).connect();
        await client
          .db('cachier_test')
          .collection('conformance')
          .updateMany({ functionId }, { $set: { value: 'not bytes' } });
        await client.close();
      },
      ownServer: async () => {
        const server = await TestMongoServer.start();
        return { address: server.uri, stop: () => server.stop(), resume: () => server.start() };
      },
    },
    {
      backend: 'redis',
      skip: skipOf(redis),
      sharedAcrossProcesses: true,
      address: () => urlOf(redis) ?? '',
      garble: async (address, functionId) => {
        const client = new Redis(address);
        const [, keys] = (await client.scan('0', 'MATCH', `cachier:{${encodeURIComponent(functionId)}}:*:e:*`, 'COUNT', 10_000)) as [
          string,
          string[],
        ];
        for (const key of keys) await client.set(key, 'garbage');
        client.disconnect();
      },
      ownServer: () => TestRedisServer.start(),
    },
    {
      backend: 'postgres',
      skip: skipOf(postgres),
      sharedAcrossProcesses: true,
      address: () => urlOf(postgres) ?? '',
      garble: async (address, functionId) => {
        const client = new pg.Client({ connectionString: address });
        await client.connect();
        await client.query(`UPDATE cachier_entries SET value = '\\x0102'::bytea WHERE function_id = $1 AND value IS NOT NULL`, [
          functionId,
        ]);
        await client.end();
      },
      ownServer: () => TestPostgresServer.start(),
    },
    {
      backend: 's3',
      skip: skipOf(s3),
      sharedAcrossProcesses: true,
      address: () => urlOf(s3) ?? '',
      garble: async (address, functionId) => {
        const machine = await connectMachine('s3', address);
        const client = (machine.options.s3 as S3Location).client as S3Client;
        const listed = await client.send(
          new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: `cachier/${encodeURIComponent(functionId)}/` }),
        );
        for (const object of listed.Contents ?? []) {
          if (object.Key?.includes('/e/')) {
            await client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key: object.Key }));
            await client.send(
              new PutObjectCommand({ Bucket: TEST_BUCKET, Key: object.Key, Body: 'garbage', Metadata: { 'computed-at': 'soon' } }),
            );
          }
        }
        await machine.close();
      },
      ownServer: () => TestS3Server.start(),
    },
  ];
}

/** Overwrites every entry file under a file cache folder. */
function garbleFiles(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /[/\\]entries[/\\]/.test(join(entry.parentPath, entry.name)))
      writeFileSync(join(entry.parentPath, entry.name), 'garbage');
  }
}
