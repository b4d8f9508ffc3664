// One "machine" of each backend: its own client connection (as another host
// would have) and the cachier() options that use it, plus the names of the
// round trips it made. Plain JavaScript so that child processes (worker.mjs)
// and the vitest suites connect the same way.
import { S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { TEST_BUCKET as S3RVER_BUCKET } from '../servers/servers.mjs';

/** The bucket the suites use on every S3 endpoint (s3rver creates it; S3_BUCKET names another). */
export const TEST_BUCKET = process.env.S3_BUCKET || S3RVER_BUCKET;

/**
 * @param {'file' | 'memory' | 'mongo' | 'redis' | 'postgres' | 's3'} backend
 * @param {string} address a cache folder (file), a server URL, or an S3 endpoint
 */
export async function connectMachine(backend, address) {
  const trips = [];
  const roundTrips = () => trips.splice(0);
  switch (backend) {
    case 'memory':
      return { options: { backend }, roundTrips, close: async () => undefined };
    case 'file':
      return { options: { backend, cacheDir: address }, roundTrips, close: async () => undefined };
    case 'mongo': {
      const client = new MongoClient(address, { monitorCommands: true, serverSelectionTimeoutMS: 2_000 });
      client.on('commandStarted', (event) => trips.push(event.commandName));
      await client.connect();
      const collection = client.db('cachier_test').collection('conformance');
      trips.length = 0;
      return { options: { backend, mongetter: () => collection }, roundTrips, close: () => client.close() };
    }
    case 'redis': {
      const client = new Redis(address, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 5_000 });
      client.on('error', () => undefined);
      const counted = new Proxy(client, {
        get(target, name) {
          const member = Reflect.get(target, name, target);
          if (name !== 'call' && name !== 'callBuffer') return typeof member === 'function' ? member.bind(target) : member;
          return (command, ...args) => {
            trips.push(command);
            return member.call(target, command, ...args);
          };
        },
      });
      return { options: { backend, redis: counted }, roundTrips, close: async () => void client.disconnect() };
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: address, max: 5, connectionTimeoutMillis: 2_000 });
      pool.on('error', () => undefined);
      const counted = {
        query: (query) => {
          trips.push(query.name ?? query.text.split(' ')[0]);
          return pool.query(query);
        },
        Client: pg.Client,
        options: pool.options,
      };
      return { options: { backend, postgres: counted }, roundTrips, close: () => pool.end() };
    }
    case 's3': {
      const client = new S3Client({
        endpoint: address,
        region: process.env.AWS_REGION || 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'S3RVER',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'S3RVER',
        },
        requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 },
      });
      client.middlewareStack.add(
        (next, context) => (args) => {
          trips.push(context.commandName.replace(/Command$/, ''));
          return next(args);
        },
        { step: 'initialize' },
      );
      if (!process.env.S3_ENDPOINT) {
        // The bundled s3rver now and then answers InternalError under load (a race in its file store, not an S3
        // behaviour; S3's own clients retry a 500): the request, not the test, is sent again, up to twice. Below the
        // counter above, so round trips still count commands.
        client.middlewareStack.add(
          (next) => async (args) => {
            for (let attempt = 1; ; attempt += 1) {
              try {
                return await next(args);
              } catch (error) {
                if (attempt === 3 || error?.name !== 'InternalError') throw error;
                await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
              }
            }
          },
          { step: 'finalizeRequest', name: 'retryEmulatorInternalError' },
        );
      }
      return { options: { backend, s3: { client, bucket: TEST_BUCKET } }, roundTrips, close: async () => client.destroy() };
    }
    default:
      throw new Error(`no test machine for backend ${backend}`);
  }
}
