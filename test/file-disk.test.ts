import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BLOCKING_IO_LIMIT, io, runMixed } from '../runtime/cores/file/disk.js';
import { isThenable } from '../runtime/plan.js';
import { freshPlace } from './support/file-core/children.js';

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
