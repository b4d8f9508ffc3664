import { nodeCrypto } from '../../node-builtins.js';
import { dirname } from 'node:path';
import { io, isMissing, type Disk, type DiskPlan, type FileIdentity, type Io } from './disk.js';
import { tempPathFor } from './layout.js';

/** The `code` of a Node file-system error, if it is one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Permission bits of the files and folders a core creates. */
export interface Modes {
  readonly file: number;
  readonly folder: number;
}

/** What a file-system error means, in words, and what to do about it. */
const CAUSES: Readonly<Record<string, { readonly cause: string; readonly fix: string }>> = {
  EROFS: { cause: 'the file system is read-only', fix: 'point cacheDir or CACHIER_DIR at a writable folder' },
  ENOSPC: { cause: 'the disk is full', fix: 'free space on it, or point cacheDir or CACHIER_DIR at another disk' },
  EDQUOT: { cause: "the user's disk quota is used up", fix: 'free space in it, or point cacheDir or CACHIER_DIR at another disk' },
  EACCES: { cause: 'permission denied', fix: 'make the folder writable by this user, or point cacheDir or CACHIER_DIR at another folder' },
  EPERM: {
    cause: 'operation not permitted',
    fix: 'make the folder writable by this user, or point cacheDir or CACHIER_DIR at another folder',
  },
};

/**
 * Describes a file-system error by its real cause, e.g. "the file system is
 * read-only (EROFS: read-only file system, mkdir '/x')", with what to do.
 */
export function describeFailure(error: unknown, where: string): string {
  const message = (error as Error | null)?.message ?? String(error);
  const known = CAUSES[errorCode(error) ?? ''];
  const fix =
    known?.fix ?? 'check that the folder is writable by this user and its disk has free space, or point cacheDir or CACHIER_DIR elsewhere';
  return `${known ? `${known.cause} ` : ''}(${message}) in the cache folder ${where}; ${fix}`;
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
// Drawn once per process (per worker thread): the pid tells processes apart,
// this tells apart two that got the same pid (one died, its leftovers remain)
// and worker threads of one process, and the counter tells apart the names of
// one of them. Drawing random bytes for
// every temp file cost ~25 µs per name, more than the write it names; drawn
// at the first write, not at import (see node-builtins.ts).
let processNonce: string | undefined;

/** Tries at writing an entry while concurrent clears keep removing its folder (each try costs a few file calls). */
const WRITE_ATTEMPTS = 10;

/** A name no other writer (this process or another, now or after a pid is reused) picks. */
export function uniqueSuffix(): string {
  processNonce ??= nodeCrypto().randomBytes(6).toString('hex');
  return `${process.pid}-${processNonce}-${(written++).toString(36)}`;
}

/** Creates the folder `path`: true when made, false when something is there already, `undefined` when its parent is missing. */
export function* makeFolder(path: string, mode: number): DiskPlan<boolean | undefined> {
  try {
    yield* io((disk) => disk.makeDir(path, mode));
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return false;
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Creates `path` and each missing folder above it, one `mkdir` at a time: a
 * recursive `mkdir` reports ENOENT where the kernel said EROFS or EACCES.
 */
export function* makeFolders(path: string, mode: number): DiskPlan<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      yield* io((disk) => disk.makeDir(path, mode));
      return;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') return;
      if (code !== 'ENOENT' || dirname(path) === path || attempt > 0) throw error;
      yield* makeFolders(dirname(path), mode);
    }
  }
}

/**
 * Creates the new file `path` with `create` (which writes its bytes). A write
 * that fails halfway (disk full) removes what it created, so no empty or
 * partial file outlives it.
 */
function* createFile<T>(path: string, create: (disk: Disk) => Io<T>): DiskPlan<T> {
  try {
    return yield* io(create);
  } catch (error) {
    // EEXIST: the file is someone else's. Otherwise it is ours, if it was created at all.
    if (errorCode(error) !== 'EEXIST') {
      try {
        yield* ifPresent((disk) => disk.unlink(path));
      } catch {
        // The error worth reporting is the write's; a read-only folder cannot hold a leftover anyway.
      }
    }
    throw error;
  }
}

/** Creates a new file with `create`, creating its folder first if a concurrent clear removed it. */
function* createInFolder<T>(path: string, folderMode: number, create: (disk: Disk) => Io<T>): DiskPlan<T> {
  try {
    return yield* createFile(path, create);
  } catch (error) {
    if (!isMissing(error)) throw error;
    yield* makeFolders(dirname(path), folderMode);
    return yield* createFile(path, create);
  }
}

/** Writes a new file holding `bytes`, creating its folder first if a concurrent clear removed it. */
function writeNewFile(path: string, bytes: Uint8Array, modes: Modes): DiskPlan<void> {
  return createInFolder(path, modes.folder, (disk) => disk.writeNewFile(path, bytes, modes.file));
}

/**
 * Replaces `path` with `bytes` so that a reader, or a process killed at any
 * instant, sees the old file or the new one, never a mix: the bytes go to a
 * temp file in the same folder, which is then renamed over the target.
 * Not fsynced: a power loss may leave a truncated file, which the entry
 * checksum rejects as a miss.
 */
export function* writeAtomically(path: string, bytes: Uint8Array, modes: Modes): DiskPlan<void> {
  for (let attempt = 1; ; attempt++) {
    const temp = tempPathFor(path, uniqueSuffix());
    try {
      yield* writeNewFile(temp, bytes, modes);
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
 * Creates `path` holding `bytes` unless it exists; answers the identity of
 * the file it created, or `undefined` when `path` was taken. One
 * `open(O_EXCL)`, one `write`: a reader may find the file empty for the
 * microseconds in between (or for good, if the writer was killed there).
 */
export function* createIfAbsent(path: string, bytes: Uint8Array, modes: Modes): DiskPlan<FileIdentity | undefined> {
  try {
    return yield* createInFolder(path, modes.folder, (disk) => disk.writeNewFileIdentified(path, bytes, modes.file));
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return undefined;
    throw error;
  }
}

/** Sets the modification time of `path` to now, creating it (and its folder) if needed. */
export function* touch(path: string, modes: Modes): DiskPlan<void> {
  const now = Date.now();
  try {
    yield* io((disk) => disk.setMtime(path, now));
  } catch (error) {
    if (!isMissing(error)) throw error;
    try {
      yield* writeNewFile(path, new Uint8Array(), modes);
    } catch (raced) {
      if (errorCode(raced) !== 'EEXIST') throw raced;
    }
  }
}

/** The names in a folder; none if it does not exist. */
export function* listNames(path: string): DiskPlan<string[]> {
  return (yield* ifPresent((disk) => disk.list(path))) ?? [];
}
