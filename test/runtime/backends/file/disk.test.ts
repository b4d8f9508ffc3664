import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BLOCKING_IO_LIMIT, io, runMixed } from '../../../../runtime/backends/file/disk.js';
import { keyPaths, versionLayout } from '../../../../runtime/backends/file/layout.js';
import { cachier } from '../../../../runtime/index.js';
import { keyOfArguments } from '../../../../runtime/keys.js';
import { isThenable } from '../../../../runtime/plan.js';
import { warningsDuring } from '../../../support/clock.js';
import { freshPlace } from '../../../support/file-core/children.js';

afterEach(() => {
  delete process.env['CACHIER_SHARED_KEY'];
});

describe('file core: disk calls of async functions', () => {
  test('a file up to 64 KiB is read at once; a larger one on the thread pool, so the event loop is not held while it is copied', async () => {
    const { cacheDir } = freshPlace();
    mkdirSync(cacheDir, { recursive: true });
    const small = join(cacheDir, 'small');
    const large = join(cacheDir, 'large');
    writeFileSync(small, Buffer.alloc(BLOCKING_IO_LIMIT, 1));
    writeFileSync(large, Buffer.alloc(BLOCKING_IO_LIMIT + 1, 2));
    const read = (path: string) => runMixed(io((disk) => disk.readFileUpTo(path, 1 << 20)));

    const smallFile = read(small);
    expect(isThenable(smallFile)).toBe(false);
    expect((await smallFile)?.bytes?.length).toBe(BLOCKING_IO_LIMIT);

    const largeFile = read(large);
    expect(isThenable(largeFile)).toBe(true);
    const bytes = (await largeFile)?.bytes;
    expect(bytes?.length).toBe(BLOCKING_IO_LIMIT + 1);
    expect(bytes?.every((byte) => byte === 2)).toBe(true);
  });

  test('a missing file is no file, and a file over the bound is not read, whatever its size', async () => {
    const { cacheDir } = freshPlace();
    mkdirSync(cacheDir, { recursive: true });
    const large = join(cacheDir, 'large');
    writeFileSync(large, Buffer.alloc(BLOCKING_IO_LIMIT * 2));
    expect(runMixed(io((disk) => disk.readFileUpTo(join(cacheDir, 'none'), 10)))).toBeUndefined();
    expect(runMixed(io((disk) => disk.readFileUpTo(join(large, 'below-a-file'), 10)))).toBeUndefined();
    const bounded = runMixed(io((disk) => disk.readFileUpTo(large, BLOCKING_IO_LIMIT)));
    expect(isThenable(bounded)).toBe(false);
    expect(bounded).toMatchObject({ size: BLOCKING_IO_LIMIT * 2, bytes: undefined });
  });
});

describe('file core: large entries, checked a mebibyte per turn of the event loop', () => {
  for (const shared of [false, true]) {
    test(`${shared ? 'a shared cache (HMAC)' : 'a private cache (CRC-32)'}: a 3 MB value round-trips, and a byte changed past the first mebibyte is a miss`, async () => {
      if (shared) process.env['CACHIER_SHARED_KEY'] = 'the-team-key-0123456789';
      const { cacheDir } = freshPlace();
      const id = 'test/runtime/backends/file/disk.test.ts#large';
      let computed = 0;
      const large = cachier(
        async (fill: number) => {
          computed++;
          return { fill, payload: Buffer.alloc(3 * 2 ** 20, fill) };
        },
        { id, sourceHash: 'v1', cacheDir, shared },
      );
      expect((await large(7)).payload.equals(Buffer.alloc(3 * 2 ** 20, 7))).toBe(true);
      const hit = await large(7);
      expect(computed).toBe(1);
      expect(hit.payload.equals(Buffer.alloc(3 * 2 ** 20, 7))).toBe(true);

      const entry = keyPaths(versionLayout(cacheDir, id, 'v1'), keyOfArguments([7])).entry;
      const bytes = readFileSync(entry);
      bytes[bytes.length - 10] = 8;
      writeFileSync(entry, bytes);
      const warnings = await warningsDuring(async () => {
        expect((await large(7)).payload.equals(Buffer.alloc(3 * 2 ** 20, 7))).toBe(true);
      });
      expect(computed).toBe(2);
      expect(warnings.map((warning) => warning.message).join('\n')).toContain(
        shared ? 'not signed with this CACHIER_SHARED_KEY, or damaged' : 'checksum mismatch',
      );
    });
  }
});
