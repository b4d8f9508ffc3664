import { randomUUID } from 'node:crypto';
import { Binary } from 'mongodb';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { FunctionInfo } from '../../runtime/backends/shared/inspection.js';
import { TEST_DATABASE, connectTestCollection, testMongoUri, type TestConnection } from '../support/mongo/connect.js';
import { cachierCli, cachierJson, fill } from '../support/cli/run.js';

// The command against the mongo backend, through the bundled test server (or
// MONGODB_URI), over documents written by real cached calls in a child process.

interface RemovalJson {
  readonly kind: string;
  readonly functionId: string;
  readonly entries: number;
}

const HOUR = 3_600_000;
let connection: TestConnection;
let args: string[];
let target: { mongo: { uri: string; database: string; collection: string } };

beforeEach(async () => {
  const collection = `cli_${randomUUID()}`;
  connection = await connectTestCollection({ collectionName: collection });
  target = { mongo: { uri: testMongoUri(), database: TEST_DATABASE, collection } };
  args = ['--mongo-uri', testMongoUri(), '--mongo-db', TEST_DATABASE, '--mongo-collection', collection];
});

afterEach(async () => {
  await connection.close();
});

const cli = (...rest: string[]) => cachierCli([...args, ...rest]);
const json = <T>(rest: string[], status = 0) => cachierJson<T>([...args, ...rest], {}, status);
const listing = (...rest: string[]) => json<{ functions: FunctionInfo[] }>(['ls', ...rest]).functions;
const keysOf = async (functionId: string) =>
  (await connection.collection.find({ functionId }).toArray()).map((document) => `${document['sourceHash']}/${document['key']}`).sort();

describe('cachier with --mongo-uri', () => {
  test('ls lists functions and versions from the documents; --stale-after counts stale entries', () => {
    fill(target, [
      { id: 'src/a.ts#one', count: 4, ageMs: 2 * HOUR },
      { id: 'src/a.ts#one', count: 6, from: 4 },
      { id: 'src/b.ts#two', count: 3, sourceHash: 'old', ageMs: 3 * HOUR },
      { id: 'src/b.ts#two', count: 2, sourceHash: 'new' },
    ]);
    const functions = listing('--stale-after', '1h');
    expect(
      functions.map((fn) => [
        fn.id,
        fn.backend,
        fn.versions.map((version) => [version.sourceHash, version.current, version.entries, version.stale]),
      ]),
    ).toEqual([
      ['src/a.ts#one', 'mongo', [['v1', true, 10, 4]]],
      [
        'src/b.ts#two',
        'mongo',
        [
          ['new', true, 2, 0],
          ['old', false, 3, 3],
        ],
      ],
    ]);
    const text = cli('ls');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/src\/b\.ts#two\s+mongo\s+2\s/);
  });

  test('clear removes the entries of the function named and of no other; a running computation keeps its mark', async () => {
    fill(target, [
      { id: 'src/a.ts#one', count: 5 },
      { id: 'src/a.ts#two', count: 3 },
    ]);
    const untouched = await keysOf('src/a.ts#two');
    // Another machine is recomputing key 0 (a stale entry) right now.
    await connection.collection.updateOne(
      { functionId: 'src/a.ts#one', key: { $exists: true } },
      { $set: { owner: 'busy:7:x', leaseUntil: new Date(Date.now() + HOUR) } },
    );
    const result = json<{ entries: number }>(['clear', 'src/a.ts#one', '--yes']);
    expect(result.entries).toBe(5);
    const left = await connection.collection.find({ functionId: 'src/a.ts#one' }).toArray();
    expect(left.map((document) => [document['owner'], 'value' in document])).toEqual([['busy:7:x', false]]);
    expect(await keysOf('src/a.ts#two')).toEqual(untouched);
  });

  test('prune removes exactly the old version, stale entries and expired marks it reports', async () => {
    fill(target, [
      { id: 'src/a.ts#one', count: 3, ageMs: 2 * HOUR },
      { id: 'src/a.ts#one', count: 5, from: 3 },
      { id: 'src/b.ts#two', count: 4, sourceHash: 'old', ageMs: 3 * HOUR },
      { id: 'src/b.ts#two', count: 2, sourceHash: 'new' },
    ]);
    // The mark of a computation whose owner died an hour ago.
    await connection.collection.insertOne({
      functionId: 'src/a.ts#one',
      sourceHash: 'v1',
      key: 'abandoned',
      owner: 'gone:1:x',
      leaseUntil: new Date(Date.now() - HOUR),
    });
    const beforeOne = await keysOf('src/a.ts#one');
    const planned = json<{ wouldRemove: RemovalJson[] }>(['prune', '--stale-after', '1h', '--unused-for', '2h', '--dry-run']).wouldRemove;
    expect(await keysOf('src/a.ts#one')).toEqual(beforeOne);

    const result = json<{ removed: Array<RemovalJson & { target: string }> }>([
      'prune',
      '--stale-after',
      '1h',
      '--unused-for',
      '2h',
      '--yes',
    ]);
    expect(result.removed).toEqual(planned);
    expect(result.removed.map((removal) => [removal.functionId, removal.kind, removal.entries]).sort()).toEqual(
      [
        ['src/a.ts#one', 'stale entry', 1],
        ['src/a.ts#one', 'stale entry', 1],
        ['src/a.ts#one', 'stale entry', 1],
        ['src/a.ts#one', 'expired mark', 0],
        ['src/b.ts#two', 'old version', 4],
      ].sort(),
    );
    const removedKeys = result.removed
      .filter((removal) => removal.functionId === 'src/a.ts#one')
      .map((removal) => `v1/${JSON.parse(removal.target.replace(/^\{ key: (.*) \}$/, '$1')) as string}`);
    expect(await keysOf('src/a.ts#one')).toEqual(beforeOne.filter((key) => !removedKeys.includes(key)));
    expect((await keysOf('src/b.ts#two')).map((key) => key.split('/')[0])).toEqual(['new', 'new']);
  });

  test('verify reports a document whose value cannot be read, and --fix deletes only it', async () => {
    fill(target, [{ id: 'src/a.ts#one', count: 3 }]);
    await connection.collection.insertOne({
      functionId: 'src/a.ts#one',
      sourceHash: 'v1',
      key: 'garbage',
      value: new Binary(Buffer.from([0xff, 0x00, 0x13])),
      computedAt: Date.now(),
    });
    const report = json<{ read: number; unreadable: RemovalJson[] }>(['verify'], 1);
    expect(report.read).toBe(4);
    expect(report.unreadable).toEqual([expect.objectContaining({ kind: 'unreadable entry', target: '{ key: "garbage" }' })]);
    json(['verify', '--fix', '--yes']);
    expect(await keysOf('src/a.ts#one')).toHaveLength(3);
    expect(cli('verify').status).toBe(0);
  });

  test('an unreachable server exits 5 naming it', () => {
    const run = cachierCli(['--mongo-uri', 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300', 'ls']);
    expect(run.status).toBe(5);
    expect(run.stderr).toContain('cannot reach MongoDB at mongodb://127.0.0.1:1');
  });
});
