import { hash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import {
  NotACacheError,
  type CacheInspector,
  type InspectorOptions,
  type EntryInfo,
  type FunctionInfo,
  type MarkInfo,
  type Removal,
  type VersionInfo,
} from '../shared/inspection.js';
import { sharedKey } from './shared-key.js';
import { runAsync, runSync } from './disk.js';
import { decodeEntry, isSignedEntry, readEntryHeader, type SealKey } from './entry-codec.js';
import { errorCode } from './files.js';
import {
  MANIFEST_NAME,
  TRASH_PREFIX,
  isEntryName,
  isLayoutName,
  isMarkName,
  isTempName,
  tempPathFor,
  type VersionManifest,
} from './layout.js';
import { LEFTOVER_AGE_MS, parseOwner, readMark } from './marks.js';
import { notACacheRoot } from './root-marker.js';
import { discard } from './versions.js';

/** Enough of an entry file for its header: 50 bytes and a key digest, with room to spare. */
const HEADER_BYTES = 512;

/** Opens a file without following a symbolic link: the inspector never reads or removes outside the cache. */
const READ_NO_FOLLOW = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;

/** Where the file backend's caches are, as the application configures them. */
export interface FileInspectorSettings {
  /** The cache root (`cacheDir`). */
  readonly cacheDir: string;
  /**
   * Whether the cache is shared (`shared: true`): entries are then checked
   * with `CACHIER_SHARED_KEY`. Absent: each entry is checked as its format
   * says (signed entries with the key, which must then be set).
   */
  readonly shared?: boolean;
}

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

/** The entries of a folder, none when it is missing; symbolic links show as such and are never entered. */
function dirents(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

/** Whether `path` itself is a folder: a symbolic link to one is not, and is never entered. */
function isRealFolder(path: string): boolean {
  try {
    return fs.lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function mtimeOf(path: string): number | null {
  try {
    return fs.lstatSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function isOldLeftover(path: string, now: number): boolean {
  const mtime = mtimeOf(path);
  return mtime !== null && now - mtime > LEFTOVER_AGE_MS;
}

function readManifest(versionDir: string): VersionManifest | undefined {
  try {
    const fd = fs.openSync(join(versionDir, MANIFEST_NAME), READ_NO_FOLLOW);
    try {
      const manifest = JSON.parse(fs.readFileSync(fd, 'utf8')) as VersionManifest | null;
      return typeof manifest?.functionId === 'string' ? manifest : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Size and `computedAt` of an entry, read from its first bytes through one open file. */
function scanEntry(path: string, name: string): ScannedEntry | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, READ_NO_FOLLOW);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
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

function scanMarks(marksDir: string, now: number): ScannedVersion['marks'] {
  const marks: Array<MarkInfo & { path: string }> = [];
  for (const item of dirents(marksDir)) {
    if (!item.isFile() || !isMarkName(item.name)) continue;
    const path = join(marksDir, item.name);
    const state = runSync(readMark(path));
    if (state.kind === 'none') continue;
    const owner = state.kind === 'dead' ? parseOwner(state.bytes) : ownerOf(path);
    marks.push({
      path,
      key: item.name.slice(0, -'.mark'.length),
      pid: owner?.pid ?? null,
      host: owner?.host ?? null,
      live: state.kind === 'live',
      leaseLeftMs: state.kind === 'live' ? Math.max(0, state.expiresAt - now) : 0,
    });
  }
  return marks;
}

function ownerOf(markPath: string): ReturnType<typeof parseOwner> {
  try {
    return parseOwner(fs.readFileSync(markPath));
  } catch {
    return undefined;
  }
}

function scanVersion(functionDir: string, dir: string, now: number): ScannedVersion {
  const entriesDir = join(dir, 'entries');
  const marksDir = join(dir, 'marks');
  const entries: ScannedEntry[] = [];
  const leftovers: string[] = [];
  for (const shard of isRealFolder(entriesDir) ? dirents(entriesDir) : []) {
    if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
    const shardDir = join(entriesDir, shard.name);
    for (const item of dirents(shardDir)) {
      if (!item.isFile()) continue;
      const path = join(shardDir, item.name);
      if (isEntryName(item.name)) {
        const entry = scanEntry(path, shard.name + item.name);
        if (entry) entries.push(entry);
      } else if (isTempName(item.name) && isOldLeftover(path, now)) {
        leftovers.push(path);
      }
    }
  }
  for (const folder of isRealFolder(marksDir) ? [dir, marksDir] : [dir]) {
    for (const item of dirents(folder)) {
      const path = join(folder, item.name);
      if (item.isFile() && isTempName(item.name) && isOldLeftover(path, now)) leftovers.push(path);
    }
  }
  return {
    dir,
    functionDir,
    manifest: readManifest(dir),
    lastUsed: mtimeOf(join(dir, 'used')) ?? mtimeOf(dir),
    entries,
    marks: isRealFolder(marksDir) ? scanMarks(marksDir, now) : [],
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
    await fsPromises.rename(path, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  const removable = await stillRemovable(aside);
  if (!removable) {
    try {
      await fsPromises.link(aside, path);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  }
  await fsPromises.unlink(aside);
  return removable;
}

async function computedAtOf(path: string): Promise<number | null> {
  const file = await fsPromises.open(path, READ_NO_FOLLOW);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.allocUnsafe(HEADER_BYTES), 0, HEADER_BYTES, 0);
    return readEntryHeader(buffer.subarray(0, bytesRead))?.computedAt ?? null;
  } finally {
    await file.close();
  }
}

/** Takes a folder of the layout out of the cache the way the core does (a rename into trash, then a delete that follows no link). */
async function removeTree(path: string, functionDir: string): Promise<boolean> {
  return runAsync(discard(path, functionDir));
}

/**
 * The file backend's inspector on one cache root. Refuses a folder that is
 * not a cache root (see `root-marker.ts`) before reading anything else, and
 * reads and removes only the files and folders of the layout, following no
 * symbolic link.
 *
 * @throws {@link NotACacheError} when `cacheDir` exists and is no cache root.
 */
export async function openFileInspector(settings: FileInspectorSettings): Promise<CacheInspector> {
  const { cacheDir } = settings;
  const problem = notACacheRoot(cacheDir);
  if (problem !== undefined) {
    throw new NotACacheError(
      `${cacheDir} is not a cachier cache folder (${problem}); nothing was listed or removed. ` +
        `Point --dir or CACHIER_DIR at the folder your functions cache into (cacheDir), which cachier marks with a CACHEDIR.TAG`,
    );
  }
  // A shared cache's entries are signed: checking them needs its key, read as the core reads it.
  const keyOf = (() => {
    let key: SealKey;
    return (): SealKey => (key ??= sharedKey());
  })();
  const scanned = new Map<string, ScannedFunction>();
  let scannedAt = Date.now();

  function staleAfterOf(version: ScannedVersion, override: number | undefined): number | null {
    return override ?? version.manifest?.staleAfterMs ?? null;
  }

  function scanFunction(functionDir: string, folderName: string, now: number): ScannedFunction {
    const versions: ScannedVersion[] = [];
    const leftovers: string[] = [];
    for (const item of dirents(functionDir)) {
      if (!item.isDirectory()) continue;
      const path = join(functionDir, item.name);
      if (item.name.startsWith(TRASH_PREFIX)) {
        if (isOldLeftover(path, now)) leftovers.push(path);
      } else if (isLayoutName(item.name)) {
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

  /** Why an entry cannot be served, or `undefined` when it reads back whole, checked as the core checks it. */
  function problemOf(entry: ScannedEntry): string | undefined {
    let bytes: Buffer;
    try {
      const fd = fs.openSync(entry.path, READ_NO_FOLLOW);
      try {
        bytes = fs.readFileSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      return `unreadable (${errorCode(error) ?? String(error)})`;
    }
    const header = readEntryHeader(bytes);
    if (!header) return 'not a cachier entry file';
    // Without `shared` from the application's options, an entry's format says which cache wrote it.
    const signed = settings.shared ?? isSignedEntry(bytes);
    const decoded = decodeEntry(bytes, header.key, signed ? keyOf() : undefined);
    if (!decoded.ok) return decoded.problem;
    if (hash('sha256', header.key, 'hex') !== entry.name) return 'stored under another key’s file name';
    return undefined;
  }

  return {
    description: `file ${cacheDir}`,

    async functions(staleAfterMs) {
      scannedAt = Date.now();
      scanned.clear();
      const functions: FunctionInfo[] = [];
      for (const item of dirents(cacheDir).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (!item.isDirectory() || !isLayoutName(item.name)) continue;
        const functionDir = join(cacheDir, item.name);
        const fn = scanFunction(functionDir, item.name, scannedAt);
        const info: FunctionInfo = {
          ...fn.info,
          versions: fn.versions.map((version, index) => summarize(version, index === 0, staleAfterOf(version, staleAfterMs), scannedAt)),
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
        scannedOf(fn).versions.flatMap((version, index): Removal[] => {
          if (version.entries.length === 0) return [];
          const entriesDir = join(version.dir, 'entries');
          return [
            {
              kind: 'entries',
              functionId: fn.id,
              target: entriesDir,
              entries: version.entries.length,
              bytes: fn.versions[index]?.bytes ?? 0,
              remove: () => removeTree(entriesDir, version.functionDir),
            },
          ];
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
            // An old version holding no entry (after a clear) frees nothing worth listing; the core sweeps its folder.
            if (version.entries.length === 0) return;
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
      await fsPromises.rm(path, { recursive: true, force: true });
      return true;
    },
  };
}

/** The file inspector on the options the application uses: `cacheDir` (resolved already) and `shared`. */
export function openInspector(options: InspectorOptions): Promise<CacheInspector> {
  const shared = options['shared'];
  return openFileInspector({ cacheDir: String(options['cacheDir']), ...(typeof shared === 'boolean' ? { shared } : {}) });
}
