import { Socket } from 'node:net';
import { MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestMongoServer } from './support/mongo-server/server.js';
import { connectTestCollection, type TestConnection } from './support/mongo/connect.js';

// The bundled server itself, always its own instance whatever MONGODB_URI says.
let server: TestMongoServer;
let db: TestConnection;

beforeAll(async () => {
  server = await TestMongoServer.start();
  db = await connectTestCollection({ uri: server.uri });
});

afterAll(async () => {
  await db.close();
  await server.stop();
});

describe('bundled MongoDB test server', () => {
  test('answers a command it does not implement with a CommandNotFound error', async () => {
    const failure = db.client.db('cachier_test').command({ collMod: db.collection.collectionName });
    await expect(failure).rejects.toBeInstanceOf(MongoServerError);
    await expect(failure).rejects.toMatchObject({ code: 59, codeName: 'CommandNotFound' });
  });

  test('enforces unique indexes on insert, on update and when creating the index', async () => {
    await db.collection.insertMany([{ a: 1 }, { a: 1 }]);
    await expect(db.collection.createIndex({ a: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
    await db.collection.deleteMany({});
    await db.collection.createIndex({ a: 1 }, { unique: true });
    await db.collection.insertOne({ a: 1 });
    await expect(db.collection.insertOne({ a: 1 })).rejects.toMatchObject({ code: 11000 });
    await db.collection.insertOne({ a: 2 });
    await expect(db.collection.updateOne({ a: 2 }, { $set: { a: 1 } })).rejects.toMatchObject({ code: 11000 });
    expect((await db.collection.find({}, { projection: { _id: 0 } }).sort({ a: 1 }).toArray())).toEqual([{ a: 1 }, { a: 2 }]);
  });

  test('keeps its data across a stop and a start', async () => {
    await db.collection.insertOne({ kept: true });
    await server.stop();
    await server.start();
    expect(await db.collection.countDocuments({ kept: true })).toBe(1);
  });

  test('drops a connection that sends bytes it cannot parse', async () => {
    const socket = new Socket();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.connect(Number(new URL(server.uri).port), '127.0.0.1', () => {
      const garbage = Buffer.alloc(20);
      garbage.writeInt32LE(20, 0);
      garbage.writeInt32LE(9999, 12);
      socket.write(garbage);
    });
    await closed;
  });
});
