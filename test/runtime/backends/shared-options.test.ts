import { afterEach, describe, expect, test, vi } from 'vitest';
import { cachier, InvalidOptionError, resetDefaults, setDefaults, type CachierOptions } from '../../../runtime/index.js';

const asyncFn = async (x: number): Promise<number> => x;
const syncFn = (x: number): number => x;

afterEach(() => resetDefaults());

describe.each([
  ['redis', /needs the redis option: an ioredis client/],
  ['postgres', /needs the postgres option: a pg Pool/],
  ['s3', /needs the s3 option: the bucket to use/],
] as const)('the %s backend options', (backend, missingMessage) => {
  test('without its connection option, the first call fails naming the option and what to pass', async () => {
    const cached = cachier(asyncFn, { backend });
    await expect(cached(1)).rejects.toThrow(InvalidOptionError);
    await expect(cached(1)).rejects.toThrow(missingMessage);
  });

  test('its connection option with another backend is a conflict at wrap time', () => {
    expect(() => cachier(asyncFn, { backend: 'file', [backend]: () => ({}) } as CachierOptions)).toThrow(
      new RegExp(`"${backend}": applies to the ${backend} backend only, but backend is 'file'`),
    );
  });

  test('its connection option must be a client object or a function', () => {
    expect(() => cachier(asyncFn, { backend, [backend]: 42 } as CachierOptions)).toThrow(
      new RegExp(`"${backend}": expected a client object or a function returning one, got 42`),
    );
  });

  test('a sync function is refused at wrap time, and under a global default at its first call', () => {
    expect(() => cachier(syncFn, { backend, [backend]: {} } as CachierOptions)).toThrow(
      new RegExp(`'${backend}' serves async functions only.*declare syncFn async`),
    );
    setDefaults({ backend, [backend]: {} });
    const cached = cachier(syncFn);
    expect(() => cached(1)).toThrow(new RegExp(`'${backend}' serves async functions only`));
  });
});

describe('connection options of the wrong shape', () => {
  test.each([
    [
      'redis',
      { get: () => null },
      /"redis": must be an ioredis client \(new Redis\(url\)\) or a function returning one; what it holds has no call, callBuffer, duplicate/,
    ],
    ['postgres', { connect: () => null }, /"postgres": must be a pg Pool .*; what it holds has no query/],
    ['s3', { client: {} }, /"s3": must be \{ client, bucket, prefix\? \} with a bucket name/],
    [
      's3',
      { client: {}, bucket: 'b' },
      /"s3": must be an object whose client is an S3Client of @aws-sdk\/client-s3; what it holds has no send/,
    ],
  ] as const)('%s given %o: strict calls throw the reason; others warn and compute', async (backend, connection, reason) => {
    const strict = cachier(asyncFn, { backend, [backend]: connection, strict: true } as CachierOptions);
    await expect(strict(1)).rejects.toThrow(reason);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const tolerant = cachier(asyncFn, { backend, [backend]: () => connection } as CachierOptions);
      expect(await tolerant(7)).toBe(7);
      await vi.waitFor(() => expect(warnings.some((message) => reason.test(message))).toBe(true));
    } finally {
      process.off('warning', onWarning);
    }
  });
});
