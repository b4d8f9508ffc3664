import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestMongoServer } from '../../../support/mongo-server/server.js';
import { connectTestCollection, TEST_DATABASE, type TestConnection } from '../../../support/mongo/connect.js';

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
    expect(
      await db.collection
        .find({}, { projection: { _id: 0 } })
        .sort({ a: 1 })
        .toArray(),
    ).toEqual([{ a: 1 }, { a: 2 }]);
  });

  test('keeps its data across a stop and a start', async () => {
    await db.collection.insertOne({ kept: true });
    await server.stop();
    await server.start();
    expect(await db.collection.countDocuments({ kept: true })).toBe(1);
  });

  test('drops a connection that sends bytes it cannot parse', async () => {
    const socket = new Socket();
    let answered = 0;
    socket.on('data', (chunk: Buffer) => {
      answered += chunk.length;
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.connect(Number(new URL(server.uri).port), '127.0.0.1', () => {
      const garbage = Buffer.alloc(20);
      garbage.writeInt32LE(20, 0);
      garbage.writeInt32LE(9999, 12);
      socket.write(garbage);
    });
    await closed;
    // Closed by the server, with no reply: a parse error is not answered as if it were a command.
    expect(answered).toBe(0);
  });
});

describe('bundled MongoDB test server: equality on a unique index', () => {
  const freshCollection = () => db.client.db(TEST_DATABASE).collection(`lookups_${randomUUID()}`);

  test('finds, updates and deletes by the fields of a unique index as a scan would, arrays (multikey) included', async () => {
    const collection = freshCollection();
    await collection.createIndex({ a: 1, b: 1 }, { unique: true, name: 'a_b' });
    await collection.insertMany([
      { a: 'x', b: 'y', n: 1 },
      { a: 'x', b: 'z', n: 2 },
      { a: 'y', n: 3 },
    ]);
    const ns = async (filter: object) =>
      (await collection.find(filter, { projection: { _id: 0, n: 1 } }).toArray()).map((document) => document['n']);
    expect(await ns({ a: 'x', b: 'y' })).toEqual([1]);
    expect(await ns({ a: 'x', b: 'y', n: 2 })).toEqual([]);
    expect(await ns({ a: 'y', b: 'y' })).toEqual([]);
    await collection.updateOne({ a: 'x', b: 'y' }, { $set: { b: 'w' } });
    expect(await ns({ a: 'x', b: 'y' })).toEqual([]);
    expect(await ns({ a: 'x', b: 'w' })).toEqual([1]);
    await expect(collection.insertOne({ a: 'x', b: 'w' })).rejects.toMatchObject({ code: 11000 });
    await collection.insertOne({ a: 'x', b: 'y', n: 4 });
    await collection.deleteOne({ a: 'x', b: 'z' });
    expect(await ns({ a: 'x', b: 'z' })).toEqual([]);
    await collection.insertOne({ a: 'x', b: 'z', n: 5 });
    expect(await ns({ a: 'x', b: 'z' })).toEqual([5]);
    // An array value matches an equality on any of its elements.
    await collection.insertOne({ a: ['p', 'q'], b: 'y', n: 6 });
    expect(await ns({ a: 'q', b: 'y' })).toEqual([6]);
    expect(await ns({ a: 'x', b: 'y' })).toEqual([4]);
  });

  test('findAndModify with an update pipeline and upsert seeds the new document from the filter and returns it after', async () => {
    const collection = freshCollection();
    const pipeline = [{ $set: { owner: { $cond: [{ $gt: [{ $ifNull: ['$n', 0] }, 5] }, '$owner', { $literal: 'me' }] } } }];
    const created = await collection.findOneAndUpdate({ k: 'new' }, pipeline, {
      upsert: true,
      returnDocument: 'after',
      projection: { _id: 0 },
    });
    expect(created).toEqual({ k: 'new', owner: 'me' });
    await collection.insertOne({ k: 'big', n: 9 });
    const unchanged = await collection.findOneAndUpdate({ k: 'big' }, pipeline, {
      upsert: true,
      returnDocument: 'after',
      projection: { _id: 0 },
    });
    // A field set to a missing field's value stays missing.
    expect(unchanged).toEqual({ k: 'big', n: 9 });
  });
});
