import { hash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { runAsync, runSync } from '../runtime/backends/file/disk.js';
import { decodeEntry, readEntryHeader } from '../runtime/backends/file/entry-codec.js';
import { errorCode } from '../runtime/backends/file/files.js';
import { MANIFEST_NAME, TRASH_PREFIX, isEntryName, isMarkName, tempPathFor, type VersionManifest } from '../runtime/backends/file/layout.js';
import { parseOwner, readMark, type MarkOwner } from '../runtime/backends/file/marks.js';
import { discard } from '../runtime/backends/file/versions.js';
import type { CacheStore, EntryInfo, FunctionInfo, MarkInfo, PrunePolicy, Removal, VersionInfo } from './model.js';

/** A temp file or trash folder untouched this long belongs to a writer or delete that was killed. */
export const LEFTOVER_AGE_MS = 10 * 60 * 1000;

/** Enough of an entry file for its header: 22 bytes and a 43-character key digest, with room to spare. */
const HEADER_BYTES = 512;

interface ScannedEntry {
  readonly path: string;
  /** Shard and file name: the SHA-256 of the key in hex. */
  readonly name: string;
  readonly bytes: number;
  readonly computedAt: number | null;
}

interface ScannedVersion {
  readonly dir: string;
  readonly functionDir: string;
  readonly manifest: VersionManifest | undefined;
  readonly lastUsed: number | null;
  readonly entries: readonly ScannedEntry[];
  readonly marks: ReadonlyArray<MarkInfo & { readonly path: string }>;
  readonly leftovers: readonly string[];
}

interface ScannedFunction {
  readonly info: FunctionInfo;
  readonly versions: readonly ScannedVersion[];
  /** Trash folders of interrupted deletes, old enough to be leftovers. */
  readonly leftovers: readonly string[];
}

function names(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

function mtimeOf(path: string): number | null {
  try {
    return fs.statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isOldLeftover(path: string, now: number): boolean {
  const mtime = mtimeOf(path);
  return mtime !== null && now - mtime > LEFTOVER_AGE_MS;
}

function readManifest(versionDir: string): VersionManifest | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(join(versionDir, MANIFEST_NAME), 'utf8')) as VersionManifest | null;
    return typeof manifest?.functionId === 'string' ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Size and `computedAt` of an entry, read from its first bytes through one open file. */
function scanEntry(path: string, name: string): ScannedEntry | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) return undefined;
    const head = Buffer.allocUnsafe(HEADER_BYTES);
    const read = fs.readSync(fd, head, 0, HEADER_BYTES, 0);
    const header = readEntryHeader(head.subarray(0, read));
    return { path, name, bytes: stats.size, computedAt: header?.computedAt ?? null };
  } finally {
    fs.closeSync(fd);
  }
}

function ownerOf(markPath: string): MarkOwner | undefined {
  try {
    return parseOwner(fs.readFileSync(markPath));
  } catch {
    return undefined;
  }
}

function scanMarks(marksDir: string, now: number): ScannedVersion['marks'] {
  const marks: Array<MarkInfo & { path: string }> = [];
  for (const name of names(marksDir)) {
    if (!isMarkName(name)) continue;
    const path = join(marksDir, name);
    const state = runSync(readMark(path));
    if (state.kind === 'none') continue;
    const owner = state.kind === 'dead' ? parseOwner(state.bytes) : ownerOf(path);
    marks.push({
      path,
      key: name.slice(0, -'.mark'.length),
      pid: owner?.pid ?? null,
      host: owner?.host ?? null,
      live: state.kind === 'live',
      leaseLeftMs: state.kind === 'live' ? Math.max(0, state.expiresAt - now) : 0,
    });
  }
  return marks;
}

function scanVersion(functionDir: string, dir: string, now: number): ScannedVersion {
  const entriesDir = join(dir, 'entries');
  const entries: ScannedEntry[] = [];
  const leftovers: string[] = [];
  for (const shard of names(entriesDir)) {
    const shardDir = join(entriesDir, shard);
    for (const name of names(shardDir)) {
      const path = join(shardDir, name);
      if (isEntryName(name)) {
        const entry = scanEntry(path, shard + name);
        if (entry) entries.push(entry);
      } else if (name.endsWith('.tmp') && isOldLeftover(path, now)) {
        leftovers.push(path);
      }
    }
  }
  const marksDir = join(dir, 'marks');
  for (const folder of [dir, marksDir]) {
    for (const name of names(folder)) {
      const path = join(folder, name);
      if (name.endsWith('.tmp') && isOldLeftover(path, now)) leftovers.push(path);
    }
  }
  return {
    dir,
    functionDir,
    manifest: readManifest(dir),
    lastUsed: mtimeOf(join(dir, 'used')) ?? mtimeOf(dir),
    entries,
    marks: scanMarks(marksDir, now),
    leftovers,
  };
}

function isStale(entry: ScannedEntry, staleAfterMs: number | null, now: number): boolean | null {
  if (staleAfterMs === null || entry.computedAt === null) return null;
  return now - entry.computedAt > staleAfterMs;
}

function summarize(version: ScannedVersion, current: boolean, staleAfterMs: number | null, now: number): VersionInfo {
  let bytes = 0;
  let oldest: number | null = null;
  let newest: number | null = null;
  let stale = 0;
  for (const entry of version.entries) {
    bytes += entry.bytes;
    if (entry.computedAt !== null) {
      if (oldest === null || entry.computedAt < oldest) oldest = entry.computedAt;
      if (newest === null || entry.computedAt > newest) newest = entry.computedAt;
    }
    if (isStale(entry, staleAfterMs, now)) stale++;
  }
  return {
    sourceHash: version.manifest?.sourceHash ?? null,
    location: version.dir,
    current,
    lastUsed: version.lastUsed,
    entries: version.entries.length,
    bytes,
    oldest,
    newest,
    stale: staleAfterMs === null ? null : stale,
    staleAfterMs,
    marks: version.marks.map(({ path: _path, ...mark }) => mark),
    leftovers: version.leftovers.length,
  };
}

/**
 * Moves `path` aside under a name no reader looks at, asks `stillRemovable`
 * about what was taken, and deletes it or puts it back. A process that
 * rewrote the file since it was planned keeps its new file: the check sees
 * the new content, and putting back never replaces a file written meanwhile.
 */
async function removeIfStill(path: string, stillRemovable: (aside: string) => boolean | Promise<boolean>): Promise<boolean> {
  const aside = tempPathFor(path, `cli-${randomUUID()}`);
  try {
    await fs.promises.rename(path, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  const removable = await stillRemovable(aside);
  if (!removable) {
    try {
      await fs.promises.link(aside, path);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  }
  await fs.promises.unlink(aside);
  return removable;
}

async function computedAtOf(path: string): Promise<number | null> {
  const file = await fs.promises.open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.allocUnsafe(HEADER_BYTES), 0, HEADER_BYTES, 0);
    return readEntryHeader(buffer.subarray(0, bytesRead))?.computedAt ?? null;
  } finally {
    await file.close();
  }
}

async function removeTree(path: string, parent: string): Promise<boolean> {
  return runAsync(discard(path, parent));
}

/** The file backend's caches under one folder. */
export function fileStore(cacheDir: string): CacheStore {
  const scanned = new Map<string, ScannedFunction>();
  let scannedAt = Date.now();

  function staleAfterOf(version: ScannedVersion, override: number | undefined): number | null {
    return override ?? version.manifest?.staleAfterMs ?? null;
  }

  function scanFunction(functionDir: string, folderName: string, now: number): ScannedFunction {
    const versions: ScannedVersion[] = [];
    const leftovers: string[] = [];
    for (const name of names(functionDir)) {
      const path = join(functionDir, name);
      if (name.startsWith(TRASH_PREFIX)) {
        if (isOldLeftover(path, now)) leftovers.push(path);
      } else if (isDirectory(path)) {
        versions.push(scanVersion(functionDir, path, now));
      }
    }
    versions.sort((a, b) => (b.lastUsed ?? 0) - (a.lastUsed ?? 0));
    const described = versions.find((version) => version.manifest)?.manifest;
    return {
      versions,
      leftovers,
      info: {
        id: described?.functionId ?? folderName,
        location: functionDir,
        sourceFile: described?.sourceFile ?? null,
        backend: 'file',
        versions: [],
      },
    };
  }

  function scannedOf(fn: FunctionInfo): ScannedFunction {
    const found = scanned.get(fn.location);
    if (!found) throw new Error(`cachier: ${fn.location} was not scanned`);
    return found;
  }

  return {
    description: `file ${cacheDir}`,

    async functions(staleAfterMs) {
      scannedAt = Date.now();
      scanned.clear();
      const functions: FunctionInfo[] = [];
      for (const name of names(cacheDir).sort()) {
        const functionDir = join(cacheDir, name);
        if (name.startsWith('.') || !isDirectory(functionDir)) continue;
        const fn = scanFunction(functionDir, name, scannedAt);
        const info: FunctionInfo = {
          ...fn.info,
          versions: fn.versions.map((version, index) =>
            summarize(version, index === 0, staleAfterOf(version, staleAfterMs), scannedAt),
          ),
        };
        scanned.set(functionDir, { ...fn, info });
        functions.push(info);
      }
      return functions;
    },

    async entries(fn, staleAfterMs) {
      const entries: EntryInfo[] = [];
      for (const version of scannedOf(fn).versions) {
        const staleAfter = staleAfterOf(version, staleAfterMs);
        for (const entry of version.entries) {
          entries.push({
            key: entry.name,
            sourceHash: version.manifest?.sourceHash ?? null,
            computedAt: entry.computedAt,
            bytes: entry.bytes,
            stale: isStale(entry, staleAfter, scannedAt),
          });
        }
      }
      return entries;
    },

    async clearPlan(functions) {
      return functions.flatMap((fn) =>
        scannedOf(fn).versions.map((version, index): Removal => {
          const entriesDir = join(version.dir, 'entries');
          return {
            kind: 'entries',
            functionId: fn.id,
            target: entriesDir,
            entries: version.entries.length,
            bytes: fn.versions[index]?.bytes ?? 0,
            remove: () => removeTree(entriesDir, version.functionDir),
          };
        }),
      );
    },

    async prunePlan(functions, policy) {
      const removals: Removal[] = [];
      const now = Date.now();
      for (const fn of functions) {
        const { versions, leftovers } = scannedOf(fn);
        versions.forEach((version, index) => {
          const summary = fn.versions[index];
          const unused = version.lastUsed === null || now - version.lastUsed > policy.unusedForMs;
          if (index > 0 && unused) {
            removals.push({
              kind: 'old version',
              functionId: fn.id,
              target: version.dir,
              entries: version.entries.length,
              bytes: summary?.bytes ?? 0,
              remove: () => removeTree(version.dir, version.functionDir),
            });
            return;
          }
          const staleAfter = staleAfterOf(version, policy.staleAfterMs);
          if (staleAfter !== null) {
            for (const entry of version.entries) {
              if (!isStale(entry, staleAfter, now)) continue;
              removals.push({
                kind: 'stale entry',
                functionId: fn.id,
                target: entry.path,
                entries: 1,
                bytes: entry.bytes,
                remove: () =>
                  removeIfStill(entry.path, async (aside) => {
                    const computedAt = await computedAtOf(aside);
                    return computedAt === null || Date.now() - computedAt > staleAfter;
                  }),
              });
            }
          }
          for (const mark of version.marks) {
            if (mark.live) continue;
            removals.push({
              kind: 'expired mark',
              functionId: fn.id,
              target: mark.path,
              entries: 0,
              bytes: 0,
              remove: () => removeIfStill(mark.path, async (aside) => (await runAsync(readMark(aside))).kind !== 'live'),
            });
          }
          for (const path of version.leftovers) removals.push(leftover(fn, path));
        });
        for (const path of leftovers) removals.push(leftover(fn, path));
      }
      return removals;
    },

    async verifyPlan(functions, onRead) {
      const removals: Removal[] = [];
      for (const fn of functions) {
        for (const version of scannedOf(fn).versions) {
          for (const entry of version.entries) {
            onRead();
            const problem = problemOf(entry);
            if (problem === undefined) continue;
            removals.push({
              kind: 'unreadable entry',
              functionId: fn.id,
              target: entry.path,
              entries: 1,
              bytes: entry.bytes,
              problem,
              remove: () => removeIfStill(entry.path, (aside) => problemOf({ ...entry, path: aside }) !== undefined),
            });
          }
        }
      }
      return removals;
    },

    async close() {},
  };
}

function leftover(fn: FunctionInfo, path: string): Removal {
  return {
    kind: 'leftover',
    functionId: fn.id,
    target: path,
    entries: 0,
    bytes: 0,
    remove: async () => {
      fs.rmSync(path, { recursive: true, force: true });
      return true;
    },
  };
}

/** Why an entry cannot be served, or `undefined` when it reads back whole. */
function problemOf(entry: ScannedEntry): string | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(entry.path);
  } catch (error) {
    return `unreadable (${errorCode(error) ?? String(error)})`;
  }
  const header = readEntryHeader(bytes);
  if (!header) return 'not a cachier entry file';
  const decoded = decodeEntry(bytes, header.key);
  if (!decoded.ok) return decoded.problem;
  if (hash('sha256', header.key, 'hex') !== entry.name) return 'stored under another key’s file name';
  return undefined;
}
