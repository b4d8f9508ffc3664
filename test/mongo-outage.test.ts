import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { BackendError, cachier } from '../runtime/index.js';
import { TestMongoServer } from './support/mongo-server/server.js';
import { connectTestCollection, type TestConnection } from './support/mongo/connect.js';

// This suite stops its server mid-run, so it always uses its own bundled
// server, also when MONGODB_URI names a real one for the other suites.
let server: TestMongoServer;
let db: TestConnection;
const warnings: Array<{ code: string | undefined; message: string }> = [];
const onWarning = (warning: Error & { code?: string }): void => {
  if (warning.name === 'CachierWarning') warnings.push({ code: warning.code, message: warning.message });
};

beforeAll(async () => {
  server = await TestMongoServer.start();
  db = await connectTestCollection({ uri: server.uri, serverSelectionTimeoutMS: 1_000 });
  process.on('warning', onWarning);
});

afterAll(async () => {
  process.off('warning', onWarning);
  await server.start();
  await db.close();
  await server.stop();
});

function counted(id: string, strict: boolean) {
  const calls = { count: 0 };
  const fn = cachier(
    async (x: number) => {
      calls.count++;
      return x * 10;
    },
    { backend: 'mongo', mongetter: () => db.collection, id, sourceHash: 'v1', strict },
  );
  return { fn, calls };
}

describe('mongo backend when the server stops mid-run', () => {
  test('calls still return computed values with a CachierWarning, strict calls throw, and stored entries survive', async () => {
    const tolerant = counted('tolerant', false);
    const strict = counted('strict', true);
    expect(await tolerant.fn(1)).toBe(10);
    expect(await strict.fn(1)).toBe(10);

    await server.stop();
    expect(await tolerant.fn(1)).toBe(10);
    expect(await tolerant.fn(2)).toBe(20);
    expect(tolerant.calls.count).toBe(3);
    await vi.waitFor(() => expect(warnings.length).toBeGreaterThan(0));
    expect(warnings.every((warning) => warning.code === 'CACHIER_BACKEND_FAILED')).toBe(true);
    expect(warnings[0]?.message).toMatch(/the mongo cache could not read.*MongoDB read failed.*serverSelectionTimeoutMS/s);

    const rejected = strict.fn(1);
    await expect(rejected).rejects.toThrow(BackendError);
    await expect(rejected).rejects.toThrow(/MongoDB read failed/);
    expect(strict.calls.count).toBe(1);

    await server.start();
    expect(await tolerant.fn(1)).toBe(10);
    expect(await strict.fn(1)).toBe(10);
    expect(tolerant.calls.count).toBe(3);
    expect(strict.calls.count).toBe(1);
  });
});
