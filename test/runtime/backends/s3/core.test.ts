import { ListObjectsV2Command, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { cachier, type S3Location } from '../../../../runtime/index.js';
import { connectMachine, TEST_BUCKET, type Machine } from '../../../support/backends/machines.mjs';

// What is particular to the s3 backend; the behaviour every backend shares
// is in backend-conformance*.test.ts.
const available = inject('s3Server');
let machine: Machine;
let client: S3Client;

beforeAll(async () => {
  if (!('url' in available)) return;
  machine = await connectMachine('s3', available.url);
  client = (machine.options.s3 as S3Location).client as S3Client;
});

afterAll(async () => machine?.close());

// A listing s3rver leaves unanswered (it happens under load) is abandoned after 5 s, so a waitFor polling it tries again.
const objects = async (prefix: string) =>
  (
    (await client.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: prefix }), { abortSignal: AbortSignal.timeout(5_000) }))
      .Contents ?? []
  ).map((object) => object.Key ?? '');

describe.skipIf('skip' in available)('s3 backend', () => {
  test('entries live under prefix/id/hash/e/key with computedAt in metadata; the claim sits under c/ while computing', async () => {
    let open = (_value: number): void => undefined;
    const fn = cachier(async (x: number) => new Promise<number>((resolve) => (open = () => resolve(x))), {
      backend: 's3',
      s3: { client, bucket: TEST_BUCKET, prefix: 'team-a/' },
      id: 'app/prices.ts#fetch',
      sourceHash: 'v1',
    });
    const pending = fn(1);
    await vi.waitFor(async () => expect(await objects('team-a/app%2Fprices.ts%23fetch/v1/c/')).toHaveLength(1), { timeout: 20_000 });
    open(1);
    await pending;
    expect(await objects('team-a/app%2Fprices.ts%23fetch/')).toEqual([
      expect.stringMatching(/^team-a\/app%2Fprices\.ts%23fetch\/v1\/e\/[\w-]{43}$/),
    ]);
    const [entry] = await objects('team-a/app%2Fprices.ts%23fetch/v1/e/');
    const head = await client.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: entry }));
    expect(Number(head.Metadata?.['computed-at'])).toBeGreaterThan(0);
  });

  test('a large value round-trips and is counted as one entry', async () => {
    const big = cachier(async (x: number) => Buffer.alloc(8 * 1024 * 1024, x), { ...machine.options, id: 'big', sourceHash: 'v1' });
    const first = await big(7);
    const again = cachier(async (_x: number): Promise<Buffer> => Buffer.alloc(0), { ...machine.options, id: 'big', sourceHash: 'v1' });
    const served = await again(7);
    expect(served.length).toBe(8 * 1024 * 1024);
    expect(Buffer.compare(served, first)).toBe(0);
    expect((await again.cacheInfo()).entries).toBe(1);
  });
});
