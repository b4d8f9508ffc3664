import { randomUUID } from 'node:crypto';
import { MongoClient, type Collection } from 'mongodb';
import { inject } from 'vitest';

/** The MongoDB the suites use: `MONGODB_URI`, or the bundled test server started by the global setup. */
export function testMongoUri(): string {
  return inject('mongoUri');
}

/** A client on its own fresh collection, recording the name of every command it sends. */
export interface TestConnection {
  readonly client: MongoClient;
  readonly collection: Collection;
  /** Names of the commands sent since the last {@link TestConnection.roundTrips} call. */
  readonly commands: string[];
  /** Answers the commands sent so far and starts a new count. */
  roundTrips(): string[];
  /** Drops the collection (unless asked not to) and closes the client. */
  close(options?: { drop?: boolean }): Promise<void>;
}

/** The database every suite writes to; each test uses its own collection in it. */
export const TEST_DATABASE = 'cachier_test';

/**
 * Connects a new `MongoClient` (a "machine") with command monitoring and
 * short timeouts, on `collectionName` or a fresh collection.
 */
export async function connectTestCollection(
  options: { uri?: string; collectionName?: string; serverSelectionTimeoutMS?: number } = {},
): Promise<TestConnection> {
  const client = new MongoClient(options.uri ?? testMongoUri(), {
    monitorCommands: true,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
  });
  const commands: string[] = [];
  client.on('commandStarted', (event) => commands.push(event.commandName));
  await client.connect();
  const collection = client.db(TEST_DATABASE).collection(options.collectionName ?? `cache_${randomUUID()}`);
  commands.length = 0;
  return {
    client,
    collection,
    commands,
    roundTrips: () => commands.splice(0),
    async close({ drop = true } = {}) {
      if (drop) await collection.drop().catch(() => undefined);
      await client.close();
    },
  };
}
