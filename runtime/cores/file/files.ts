import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { io, type Disk, type DiskPlan, type Io } from './disk.js';
import { tempPathFor } from './layout.js';

/** The `code` of a Node file-system error, if it is one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The file (or a folder on its path) does not exist: nothing there, not a failure. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Runs a disk call, answering `undefined` when the file or its folder does not exist. */
export function* ifPresent<T>(call: (disk: Disk) => Io<T>): DiskPlan<T | undefined> {
  try {
    return yield* io(call);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

let written = 0;

/** Tries at writing an entry while concurrent clears keep removing its folder. */
const WRITE_ATTEMPTS = 3;

/** A name no other writer (this process or another, now or after a pid is reused) picks. */
function uniqueSuffix(): string {
  return `${process.pid}-${(written++).toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Writes a new file, creating its folder first if a concurrent clear removed it. */
function* writeNewFile(path: string, bytes: Uint8Array): DiskPlan<void> {
  try {
    yield* io((disk) => disk.writeNewFile(path, bytes));
  } catch (error) {
    if (!isMissing(error)) throw error;
    yield* io((disk) => disk.makeDir(dirname(path)));
    yield* io((disk) => disk.writeNewFile(path, bytes));
  }
}

/**
 * Replaces `path` with `bytes` so that a reader, or a process killed at any
 * instant, sees the old file or the new one, never a mix: the bytes go to a
 * temp file in the same folder, which is then renamed over the target.
 * Not fsynced: a power loss may leave a truncated file, which the entry
 * checksum rejects as a miss.
 */
export function* writeAtomically(path: string, bytes: Uint8Array): DiskPlan<void> {
  for (let attempt = 1; ; attempt++) {
    const temp = tempPathFor(path, uniqueSuffix());
    try {
      yield* writeNewFile(temp, bytes);
      yield* io((disk) => disk.rename(temp, path));
      return;
    } catch (error) {
      yield* ifPresent((disk) => disk.unlink(temp));
      // A concurrent clear took the folder away between the write and the rename: write again.
      if (attempt === WRITE_ATTEMPTS || !isMissing(error)) throw error;
    }
  }
}

/**
 * Creates `path` holding `bytes` unless it exists, atomically: the file
 * appears with its whole content or not at all (a hard link of a finished
 * temp file, which fails if the name is taken). Answers whether it created it.
 */
export function* createExclusively(path: string, bytes: Uint8Array): DiskPlan<boolean> {
  const temp = tempPathFor(path, uniqueSuffix());
  yield* writeNewFile(temp, bytes);
  try {
    yield* io((disk) => disk.link(temp, path));
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    yield* ifPresent((disk) => disk.unlink(temp));
  }
}

/** Sets the modification time of `path` to now, creating it (and its folder) if needed. */
export function* touch(path: string): DiskPlan<void> {
  const now = Date.now();
  try {
    yield* io((disk) => disk.setMtime(path, now));
  } catch (error) {
    if (!isMissing(error)) throw error;
    try {
      yield* writeNewFile(path, new Uint8Array());
    } catch (raced) {
      if (errorCode(raced) !== 'EEXIST') throw raced;
    }
  }
}

/** The names in a folder; none if it does not exist. */
export function* listNames(path: string): DiskPlan<string[]> {
  return (yield* ifPresent((disk) => disk.list(path))) ?? [];
}
