import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { afterAll, expect, test } from 'vitest';
import { testMongoUri } from '../support/mongo/connect.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const example = 'docs/examples/mongodb-cache.mjs';

afterAll(async () => {
  // The example writes to app.cachier; remove only its own documents.
  const client = new MongoClient(testMongoUri(), { serverSelectionTimeoutMS: 5_000 });
  await client
    .db('app')
    .collection('cachier')
    .deleteMany({ functionId: /slowSquare$/ });
  await client.close();
});

test('docs/mongodb.md shows the example file as it is', () => {
  const code = readFileSync(new URL(`../../${example}`, import.meta.url), 'utf8');
  expect(readFileSync(new URL('../../docs/mongodb.md', import.meta.url), 'utf8')).toContain(code);
});

test('the MongoDB example runs against MONGODB_URI', async () => {
  const run = () => promisify(execFile)(process.execPath, [example], { cwd: root, env: { ...process.env, MONGODB_URI: testMongoUri() } });
  const { stdout } = await run();
  expect(stdout).toMatch(/^slowSquare\(12\) = 144 in \d+ms\nslowSquare\(12\) = 144 in \d+ms\n$/);
});
