import * as fs from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { promisify } from 'node:util';
import { drive, isThenable, perform, type Plan } from '../../plan.js';

/** An answer now (sync disk) or later (async disk). */
export type Io<T> = T | Promise<T>;

/**
 * A file opened for reading: what `fstat` said about it and, when it was a
 * regular file no larger than the bound asked for, its bytes. Everything
 * comes from one open file, so the facts and the bytes belong together.
 */
export interface OpenedFile {
  /** Size in bytes as `fstat` reported it before anything was read. */
  readonly size: number;
  /** The owner's user id (0 on Windows, where Node reports none). */
  readonly uid: number;
  readonly mtimeMs: number;
  readonly isFile: boolean;
  /** The content; absent when the file is not a regular file or is larger than the bound. */
  readonly bytes: Buffer | undefined;
}

/** What `stat` or `lstat` says about a path: enough to judge whether a folder can be trusted. */
export interface PathFacts {
  readonly uid: number;
  /** Permission bits and type, as in `stat.mode`. */
  readonly mode: number;
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
}

/**
 * What tells one file from any other on the machine while it exists, and
 * from any file created later: its device and inode numbers (an inode number
 * is reused only once its file is gone) and its birth time, 0 where the file
 * system does not keep one.
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly birthtimeMs: number;
}

/**
 * The file-system calls the file core makes, in a synchronous and an
 * asynchronous flavour. Errors are thrown as Node raised them (with `code`);
 * the plans decide which ones are expected.
 */
export interface Disk {
  /**
   * Opens `path` without following a final symbolic link and without waiting
   * on a FIFO (both answered as files that are not regular, unread), checks its size with `fstat` and reads it only if it holds at most `maxBytes`,
   * so a huge or endless file costs one `fstat`, not its size in memory.
   * Answers `undefined` when nothing is there (the path or a folder on it is
   * missing), without the error a plan would have to catch.
   */
  readFileUpTo(path: string, maxBytes: number): Io<OpenedFile | undefined>;
  /** Creates a new file (fails with EEXIST if it exists) with permission bits `mode`. */
  writeNewFile(path: string, bytes: Uint8Array, mode: number): Io<void>;
  /** Like {@link Disk.writeNewFile}, answering the identity of the file it created (one `fstat` more). */
  writeNewFileIdentified(path: string, bytes: Uint8Array, mode: number): Io<FileIdentity>;
  /** The identity of `path` itself (a symbolic link is not followed). */
  identity(path: string): Io<FileIdentity>;
  link(existingPath: string, newPath: string): Io<void>;
  rename(from: string, to: string): Io<void>;
  unlink(path: string): Io<void>;
  /** Creates one folder (its parent must exist) with permission bits `mode`. */
  makeDir(path: string, mode: number): Io<void>;
  /** Like {@link Disk.lstat}, answering `undefined` when nothing is there; no error is raised for that, so a probe costs the system call alone. */
  lstatIfPresent(path: string): Io<PathFacts | undefined>;
  /** Facts about `path` itself (a symbolic link is not followed). */
  lstat(path: string): Io<PathFacts>;
  /** Facts about what `path` leads to (symbolic links followed). */
  stat(path: string): Io<PathFacts>;
  /** The canonical path: symbolic links resolved. */
  realpath(path: string): Io<string>;
  setMtime(path: string, mtimeMs: number): Io<void>;
  mtime(path: string): Io<number>;
  size(path: string): Io<number>;
  /** The size and modification time of `path` itself, in one `lstat`. */
  sizeAndMtime(path: string): Io<{ readonly size: number; readonly mtimeMs: number }>;
  list(path: string): Io<string[]>;
  removeTree(path: string): Io<void>;
  /** Lets the event loop turn once between two pieces of a long computation; does nothing on the blocking disk. */
  nextTurn(): Io<void>;
}

const TREE = { recursive: true, force: true, maxRetries: 2 } as const;
const seconds = (ms: number): number => ms / 1000;
// O_NOFOLLOW: a symbolic link is not followed. O_NONBLOCK: opening a FIFO
// does not wait for a writer (fstat then says it is no regular file); it
// changes nothing for regular files. Neither exists on Windows.
const READ_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

function factsOf(stats: fs.Stats): PathFacts {
  return { uid: stats.uid, mode: stats.mode, isDirectory: stats.isDirectory(), isSymbolicLink: stats.isSymbolicLink() };
}

function identityOf(stats: fs.Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, birthtimeMs: stats.birthtimeMs };
}

const NEW_FILE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;

function openedFile(stats: fs.Stats, bytes: Buffer | undefined): OpenedFile {
  return { size: stats.size, uid: stats.uid, mtimeMs: stats.mtimeMs, isFile: stats.isFile(), bytes };
}

/** The file (or a folder on its path) does not exist: nothing there, not a failure. */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** O_NOFOLLOW met a symbolic link: it is reported as what it is, never followed. */
function isSymbolicLinkRefused(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ELOOP';
}

/** Whether a file with these stats is read at all under a bound of `maxBytes`. */
function isReadable(stats: fs.Stats, maxBytes: number): boolean {
  return stats.isFile() && stats.size <= maxBytes;
}

/**
 * Opens `path` for reading. Most misses open a file that is not there, and
 * the error Node raises then captures a stack trace, which costs more than
 * the failed `open` itself; nobody reads that trace (the plans expect ENOENT,
 * and report other errors by their code and path), so none is captured.
 */
function openForReading(path: string): number | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fs.openSync(path, READ_FLAGS);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Files and entries up to this many bytes are read and written with blocking
 * calls even for async functions: a hand-off to libuv's thread pool and back
 * costs more than such a call. Larger ones go to the pool, where copying them
 * does not hold up the event loop. 64 KiB.
 */
export const BLOCKING_IO_LIMIT = 64 * 1024;

// The callback API through promisify: each call is one trip to libuv's
// thread pool, with less overhead than fs.promises.
const openAsync = promisify(fs.open);
const readAsync = promisify(fs.read);
const fstatAsync = promisify(fs.fstat);
const closeAsync = promisify(fs.close);

// A file that shrank since fstat ends these loops early; one that grew is read up to its old size.

function readOpenedSync(fd: number, stats: fs.Stats): OpenedFile {
  const bytes = Buffer.allocUnsafe(stats.size);
  let filled = 0;
  for (let read = -1; read !== 0 && filled < bytes.length; filled += read) {
    read = fs.readSync(fd, bytes, filled, bytes.length - filled, filled);
  }
  return openedFile(stats, filled === bytes.length ? bytes : bytes.subarray(0, filled));
}

async function readOpenedAsync(fd: number, stats: fs.Stats): Promise<OpenedFile> {
  const bytes = Buffer.allocUnsafe(stats.size);
  let filled = 0;
  for (let read = -1; read !== 0 && filled < bytes.length; filled += read) {
    read = (await readAsync(fd, bytes, filled, bytes.length - filled, filled)).bytesRead;
  }
  return openedFile(stats, filled === bytes.length ? bytes : bytes.subarray(0, filled));
}

/**
 * {@link Disk.readFileUpTo} with blocking calls; with `largeOnPool`, the
 * content of a file over {@link BLOCKING_IO_LIMIT} is read on the thread
 * pool (the answer is then a promise).
 */
function readFileUpToNow(path: string, maxBytes: number, largeOnPool: boolean): Io<OpenedFile | undefined> {
  let fd: number | undefined;
  try {
    fd = openForReading(path);
  } catch (error) {
    if (!isSymbolicLinkRefused(error)) throw error;
    const stats = fs.lstatSync(path, { throwIfNoEntry: false });
    return stats && openedFile(stats, undefined);
  }
  if (fd === undefined) return undefined;
  let closeNow = true;
  try {
    const stats = fs.fstatSync(fd);
    if (!isReadable(stats, maxBytes)) return openedFile(stats, undefined);
    if (largeOnPool && stats.size > BLOCKING_IO_LIMIT) {
      closeNow = false;
      const opened = fd;
      return readOpenedAsync(opened, stats).finally(() => closeAsync(opened));
    }
    return readOpenedSync(fd, stats);
  } finally {
    if (closeNow) fs.closeSync(fd);
  }
}

/** {@link Disk.readFileUpTo} with blocking calls, outside any plan. */
export function readFileUpToSync(path: string, maxBytes: number): OpenedFile | undefined {
  // Without `largeOnPool` nothing goes to the pool, so the answer is no promise.
  return readFileUpToNow(path, maxBytes, false) as OpenedFile | undefined;
}

/** Disk calls that block until done: the path of synchronous cached functions, and of hits. */
const syncDisk: Disk = {
  readFileUpTo: (path, maxBytes) => readFileUpToNow(path, maxBytes, false),
  writeNewFile: (path, bytes, mode) => fs.writeFileSync(path, bytes, { mode, flag: 'wx' }),
  writeNewFileIdentified(path, bytes, mode) {
    const fd = fs.openSync(path, NEW_FILE_FLAGS, mode);
    try {
      for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written);
      return identityOf(fs.fstatSync(fd));
    } finally {
      fs.closeSync(fd);
    }
  },
  identity: (path) => identityOf(fs.lstatSync(path)),
  link: (existingPath, newPath) => fs.linkSync(existingPath, newPath),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  makeDir(path, mode) {
    fs.mkdirSync(path, { mode });
  },
  lstat: (path) => factsOf(fs.lstatSync(path)),
  lstatIfPresent(path) {
    const stats = fs.lstatSync(path, { throwIfNoEntry: false });
    return stats && factsOf(stats);
  },
  stat: (path) => factsOf(fs.statSync(path)),
  realpath: (path) => fs.realpathSync(path),
  setMtime: (path, mtimeMs) => fs.utimesSync(path, seconds(mtimeMs), seconds(mtimeMs)),
  mtime: (path) => fs.statSync(path).mtimeMs,
  size: (path) => fs.statSync(path).size,
  sizeAndMtime(path) {
    const { size, mtimeMs } = fs.lstatSync(path);
    return { size, mtimeMs };
  },
  list: (path) => fs.readdirSync(path),
  removeTree: (path) => fs.rmSync(path, TREE),
  nextTurn: () => undefined,
};

/** Disk calls on libuv's thread pool: the path of async cached functions. */
const asyncDisk: Disk = {
  async readFileUpTo(path, maxBytes) {
    let fd: number;
    try {
      fd = await openAsync(path, READ_FLAGS);
    } catch (error) {
      if (isMissing(error)) return undefined;
      if (!isSymbolicLinkRefused(error)) throw error;
      return openedFile(await fsPromises.lstat(path), undefined);
    }
    try {
      const stats = await fstatAsync(fd);
      if (!isReadable(stats, maxBytes)) return openedFile(stats, undefined);
      return await readOpenedAsync(fd, stats);
    } finally {
      await closeAsync(fd);
    }
  },
  writeNewFile: (path, bytes, mode) => fsPromises.writeFile(path, bytes, { mode, flag: 'wx' }),
  async writeNewFileIdentified(path, bytes, mode) {
    const file = await fsPromises.open(path, NEW_FILE_FLAGS, mode);
    try {
      await file.writeFile(bytes);
      return identityOf(await file.stat());
    } finally {
      await file.close();
    }
  },
  identity: async (path) => identityOf(await fsPromises.lstat(path)),
  link: (existingPath, newPath) => fsPromises.link(existingPath, newPath),
  rename: (from, to) => fsPromises.rename(from, to),
  unlink: (path) => fsPromises.unlink(path),
  async makeDir(path, mode) {
    await fsPromises.mkdir(path, { mode });
  },
  lstat: async (path) => factsOf(await fsPromises.lstat(path)),
  async lstatIfPresent(path) {
    try {
      return factsOf(await fsPromises.lstat(path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  stat: async (path) => factsOf(await fsPromises.stat(path)),
  realpath: (path) => fsPromises.realpath(path),
  setMtime: (path, mtimeMs) => fsPromises.utimes(path, seconds(mtimeMs), seconds(mtimeMs)),
  mtime: async (path) => (await fsPromises.stat(path)).mtimeMs,
  size: async (path) => (await fsPromises.stat(path)).size,
  async sizeAndMtime(path) {
    const { size, mtimeMs } = await fsPromises.lstat(path);
    return { size, mtimeMs };
  },
  list: (path) => fsPromises.readdir(path),
  removeTree: (path) => fsPromises.rm(path, TREE),
  nextTurn: () => new Promise<void>((resolve) => setImmediate(resolve)),
};

/** Disk work written once as a generator of disk calls, run over either disk. */
export type DiskPlan<T> = Plan<T, Disk>;

/** One disk call inside a {@link DiskPlan}: `const names = yield* io((disk) => disk.list(path))`. */
export function io<T>(call: (disk: Disk) => Io<T>): DiskPlan<T> {
  return perform<T, Disk>(call);
}

/** Runs a plan over the sync disk and returns its result. */
export function runSync<T>(plan: DiskPlan<T>): T {
  const result = drive(plan, syncDisk);
  if (isThenable(result)) throw new TypeError('cachier: a synchronous disk plan answered with a promise');
  return result;
}

/**
 * Blocking disk calls, except that a file over {@link BLOCKING_IO_LIMIT} is
 * read on the thread pool: the hits and claims of async functions.
 */
const mixedDisk: Disk = {
  ...syncDisk,
  readFileUpTo: (path, maxBytes) => readFileUpToNow(path, maxBytes, true),
  nextTurn: asyncDisk.nextTurn,
};

/** Runs a plan over blocking disk calls, switching to a promise when it reads a large file. */
export function runMixed<T>(plan: DiskPlan<T>): Io<T> {
  return drive(plan, mixedDisk);
}

/** Runs a plan over the async disk. */
export function runAsync<T>(plan: DiskPlan<T>): Io<T> {
  return drive(plan, asyncDisk);
}
