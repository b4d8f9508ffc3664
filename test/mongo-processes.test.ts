import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { connectTestCollection, TEST_DATABASE, testMongoUri, type TestConnection } from './support/mongo/connect.js';

const WORKER = fileURLToPath(new URL('./support/mongo/worker.mjs', import.meta.url));

interface Computed {
  readonly x: number;
  readonly computedBy: string;
}

let db: TestConnection;
let countFile: string;

beforeEach(async () => {
  db = await connectTestCollection();
  countFile = join(mkdtempSync(join(tmpdir(), 'cachier-mongo-')), 'computations.txt');
});

afterEach(async () => {
  await db.close();
});

/** Who ran the function body, in order, across every process. */
function computations(): string[] {
  return existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').filter(Boolean) : [];
}

/** Starts one "machine": a child process with its own MongoClient calling the cached function with `args`. */
function startMachine(tag: string, args: number[], options: { delayMs?: number; lease?: string } = {}) {
  const config = { uri: testMongoUri(), database: TEST_DATABASE, collection: db.collection.collectionName, id: 'shared-work', tag, countFile, args, ...options };
  const child: ChildProcess = spawn(process.execPath, [WORKER, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const results = new Promise<Computed[]>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(stdout) as Computed[]);
      else reject(new Error(`machine ${tag} exited with ${code ?? signal}: ${stderr}`));
    });
  });
  return { child, results };
}

describe('mongo backend across processes', () => {
  test('while one process computes a key, another waits for its value instead of computing it', async () => {
    const a = startMachine('A', [1], { delayMs: 3_000 });
    await vi.waitFor(() => expect(computations()).toEqual(['A']), { timeout: 20_000, interval: 50 });
    const b = startMachine('B', [1]);
    expect(await b.results).toEqual([{ x: 1, computedBy: 'A' }]);
    expect(await a.results).toEqual([{ x: 1, computedBy: 'A' }]);
    expect(computations()).toEqual(['A']);
  });

  test('when the computing process is killed, another takes over once its lease runs out', async () => {
    const a = startMachine('A', [1], { delayMs: 600_000, lease: '2s' });
    a.results.catch(() => undefined);
    await vi.waitFor(() => expect(computations()).toEqual(['A']), { timeout: 20_000, interval: 50 });
    const b = startMachine('B', [1], { lease: '2s' });
    a.child.kill('SIGKILL');
    expect(await b.results).toEqual([{ x: 1, computedBy: 'B' }]);
    expect(computations()).toEqual(['A', 'B']);
  });

  test('processes racing on the same keys compute each key once and leave exactly one document per key', async () => {
    const keys = Array.from({ length: 15 }, (_, i) => i);
    const machines = ['A', 'B', 'C'].map((tag) => startMachine(tag, keys));
    const results = await Promise.all(machines.map((machine) => machine.results));
    for (const result of results) expect(result.map((entry) => entry.x)).toEqual(keys);
    expect(computations()).toHaveLength(keys.length);
    const documents = await db.collection.find({ functionId: 'shared-work' }).toArray();
    expect(documents).toHaveLength(keys.length);
    expect(new Set(documents.map((document) => document['key'])).size).toBe(keys.length);
    expect(documents.every((document) => document['value'] !== undefined && document['owner'] === undefined)).toBe(true);
  });
});
