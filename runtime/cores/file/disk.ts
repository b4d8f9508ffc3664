import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { drive, isThenable, perform, type Plan } from '../../plan.js';

/** An answer now (sync disk) or later (async disk). */
export type Io<T> = T | Promise<T>;

/** Bytes of a file and its modification time, read through one open file so both belong to the same file. */
export interface FileWithMtime {
  readonly bytes: Buffer;
  readonly mtimeMs: number;
}

/**
 * The file-system calls the file core makes, in a synchronous and an
 * asynchronous flavour. Errors are thrown as Node raised them (with `code`);
 * the plans in `io.ts` decide which ones are expected.
 */
export interface Disk {
  readFile(path: string): Io<Buffer>;
  readFileWithMtime(path: string): Io<FileWithMtime>;
  /** Creates a new file (fails with EEXIST if it exists), readable by the owner only. */
  writeNewFile(path: string, bytes: Uint8Array): Io<void>;
  link(existingPath: string, newPath: string): Io<void>;
  rename(from: string, to: string): Io<void>;
  unlink(path: string): Io<void>;
  /** Creates a folder and its parents, accessible by the owner only. */
  makeDir(path: string): Io<void>;
  setMtime(path: string, mtimeMs: number): Io<void>;
  mtime(path: string): Io<number>;
  size(path: string): Io<number>;
  list(path: string): Io<string[]>;
  removeTree(path: string): Io<void>;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const NEW_FILE = { mode: FILE_MODE, flag: 'wx' } as const;
const TREE = { recursive: true, force: true, maxRetries: 2 } as const;
const seconds = (ms: number): number => ms / 1000;

/** Disk calls that block until done: the path of synchronous cached functions. */
const syncDisk: Disk = {
  readFile: (path) => fs.readFileSync(path),
  readFileWithMtime(path) {
    const fd = fs.openSync(path, 'r');
    try {
      return { mtimeMs: fs.fstatSync(fd).mtimeMs, bytes: fs.readFileSync(fd) };
    } finally {
      fs.closeSync(fd);
    }
  },
  writeNewFile: (path, bytes) => fs.writeFileSync(path, bytes, NEW_FILE),
  link: (existingPath, newPath) => fs.linkSync(existingPath, newPath),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  makeDir(path) {
    fs.mkdirSync(path, { recursive: true, mode: DIR_MODE });
  },
  setMtime: (path, mtimeMs) => fs.utimesSync(path, seconds(mtimeMs), seconds(mtimeMs)),
  mtime: (path) => fs.statSync(path).mtimeMs,
  size: (path) => fs.statSync(path).size,
  list: (path) => fs.readdirSync(path),
  removeTree: (path) => fs.rmSync(path, TREE),
};

// The callback API through promisify: each call is one trip to libuv's
// thread pool, with less overhead than fs.promises.
const readFileAsync = promisify(fs.readFile);
const openAsync = promisify(fs.open);
const readAsync = promisify(fs.read);
const fstatAsync = promisify(fs.fstat);
const closeAsync = promisify(fs.close);

/** Most entries fit in one read of this size: open, read, close is three trips where readFile takes four or five. */
const FIRST_READ_BYTES = 16 * 1024;

async function readWholeFile(path: string): Promise<Buffer> {
  const fd = await openAsync(path, 'r');
  try {
    const first = Buffer.allocUnsafe(FIRST_READ_BYTES);
    // Position null reads from, and advances, the file position, where readFile(fd) then goes on.
    const { bytesRead } = await readAsync(fd, first, 0, FIRST_READ_BYTES, null);
    if (bytesRead < FIRST_READ_BYTES) return first.subarray(0, bytesRead);
    return Buffer.concat([first, await readFileAsync(fd)]);
  } finally {
    await closeAsync(fd);
  }
}

/** Disk calls on libuv's thread pool: the path of async cached functions. */
const asyncDisk: Disk = {
  readFile: readWholeFile,
  async readFileWithMtime(path) {
    const fd = await openAsync(path, 'r');
    try {
      const { mtimeMs } = await fstatAsync(fd);
      return { mtimeMs, bytes: await readFileAsync(fd) };
    } finally {
      await closeAsync(fd);
    }
  },
  writeNewFile: (path, bytes) => fs.promises.writeFile(path, bytes, NEW_FILE),
  link: (existingPath, newPath) => fs.promises.link(existingPath, newPath),
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: (path) => fs.promises.unlink(path),
  async makeDir(path) {
    await fs.promises.mkdir(path, { recursive: true, mode: DIR_MODE });
  },
  setMtime: (path, mtimeMs) => fs.promises.utimes(path, seconds(mtimeMs), seconds(mtimeMs)),
  mtime: async (path) => (await fs.promises.stat(path)).mtimeMs,
  size: async (path) => (await fs.promises.stat(path)).size,
  list: (path) => fs.promises.readdir(path),
  removeTree: (path) => fs.promises.rm(path, TREE),
};

/** Disk work written once as a generator of disk calls, run over either disk. */
export type DiskPlan<T> = Plan<T, Disk>;

/** One disk call inside a {@link DiskPlan}: `const bytes = yield* io((disk) => disk.readFile(path))`. */
export function io<T>(call: (disk: Disk) => Io<T>): DiskPlan<T> {
  return perform<T, Disk>(call);
}

/** Runs a plan over the sync disk and returns its result. */
export function runSync<T>(plan: DiskPlan<T>): T {
  const result = drive(plan, syncDisk);
  if (isThenable(result)) throw new TypeError('cachier: a synchronous disk plan answered with a promise');
  return result;
}

/** Runs a plan over the async disk. */
export function runAsync<T>(plan: DiskPlan<T>): Io<T> {
  return drive(plan, asyncDisk);
}
