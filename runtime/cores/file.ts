import { join } from 'node:path';
import type { CacheCore, ClaimResult, CoreOperations, CoreSettings, Result, StoredEntry } from '../core.js';
import { BackendError, CacheWriteError, CachierError } from '../errors.js';
import { runAsync, runSync, type DiskPlan } from './file/disk.js';
import { decodeEntry, encodeEntry } from './file/entry-codec.js';
import { errorCode, ifPresent, listNames, touch, writeAtomically } from './file/files.js';
import { isEntryName, keyPaths, versionLayout, type VersionLayout } from './file/layout.js';
import { writeManifestOnce } from './file/manifest.js';
import { claimMark, readMark, releaseMark, removeAllMarks, renewMark } from './file/marks.js';
import { STAMP_INTERVAL_MS, discard, sweepOldVersions } from './file/versions.js';
import { deadlineOf, waitWhileMarked, waitWhileMarkedSync } from './file/waiting.js';

// Process-wide state, keyed by version folder so every core of one function
// version in this process (cores are rebuilt when defaults change) shares it.
const rememberedEntries = new Map<string, Map<string, StoredEntry>>();
const nextStampAt = new Map<string, number>();
const sweptVersions = new Set<string>();
const reportedFiles = new Set<string>();

/** Runs a disk plan in one flavour: sync functions block, async ones get promises. */
type Runner<Mode extends 'sync' | 'async'> = <T>(plan: DiskPlan<T>) => Result<Mode, T>;

/**
 * The `file` backend, the default: one file per entry under
 * `<cacheDir>/<function>/<source hash>/`, shared by every process of the
 * machine that can read the folder, and safe against concurrent writers and
 * processes killed at any instant. Serves sync and async functions.
 *
 * `separateFiles` changes nothing: entries always live in a file each, which
 * is what keeps every call's cost independent of the number of entries.
 * `reload: false` remembers entries in this process once read or written and
 * serves them without looking at the disk again, so writes and clears by
 * other processes are not seen; values are then shared, not copied, as in the
 * memory backend.
 */
export function createFileCore(settings: CoreSettings): CacheCore {
  const layout = versionLayout(settings.cacheDir, settings.functionId, settings.sourceHash);
  const { log } = settings;
  const remembered = settings.reload ? undefined : rememberedFor(layout);

  /** The error the engine reports for a raw file-system error. */
  function failure(error: unknown, Failure: typeof BackendError | typeof CacheWriteError): Error {
    if (error instanceof CachierError) return error;
    return new Failure(
      `cachier: ${(error as Error).message ?? String(error)} (check that ${settings.cacheDir} is writable ` +
        `by this user and its disk has free space, or set cacheDir or CACHIER_DIR to another folder)`,
      { cause: error },
    );
  }

  function* guarded<T>(plan: DiskPlan<T>, Failure: typeof BackendError | typeof CacheWriteError): DiskPlan<T> {
    try {
      return yield* plan;
    } catch (error) {
      throw failure(error, Failure);
    }
  }

  function* readFromDisk(key: string): DiskPlan<StoredEntry | undefined> {
    const path = keyPaths(layout, key).entry;
    let bytes: Buffer | undefined;
    try {
      bytes = yield* ifPresent((disk) => disk.readFile(path));
    } catch (error) {
      // A folder where the entry should be is a stranger's: a miss, like any unreadable entry.
      if (errorCode(error) !== 'EISDIR') throw failure(error, BackendError);
      bytes = Buffer.alloc(0);
    }
    yield* stampIfDue();
    if (!bytes) return undefined;
    const decoded = decodeEntry(bytes, key);
    if (!decoded.ok) {
      reportUnreadable(path, decoded.problem);
      return undefined;
    }
    rememberedEntries.get(layout.versionDir)?.set(key, decoded.entry);
    return decoded.entry;
  }

  function reportUnreadable(path: string, problem: string): void {
    if (reportedFiles.has(path)) return log.debug(`${path} is still unreadable (${problem})`);
    reportedFiles.add(path);
    log.warn(`the cache file ${path} is ${problem}; it counts as a miss and the next result replaces it`, 'CACHIER_CORRUPT_ENTRY');
  }

  /** Refreshes this version's `used` stamp now and then, so sweeps by newer versions spare it. */
  function* stampIfDue(): DiskPlan<void> {
    const now = Date.now();
    if ((nextStampAt.get(layout.versionDir) ?? 0) > now) return;
    nextStampAt.set(layout.versionDir, now + STAMP_INTERVAL_MS);
    try {
      yield* touch(layout.usedStamp);
    } catch (error) {
      log.debug(`could not stamp ${layout.usedStamp}: ${String(error)}`);
    }
  }

  function sweepOnce(): void {
    if (sweptVersions.has(layout.versionDir)) return;
    sweptVersions.add(layout.versionDir);
    Promise.resolve()
      .then(() => runAsync(sweepOldVersions(layout)))
      .catch((error: unknown) => log.debug(`could not remove old versions in ${layout.functionDir}: ${String(error)}`));
  }

  const plans = {
    *get(key: string): DiskPlan<StoredEntry | undefined> {
      return remembered?.get(key) ?? (yield* readFromDisk(key));
    },
    *claim(key: string): DiskPlan<ClaimResult> {
      const onDeadMarkRemoved = (why: string): void => log.debug(`key ${key.slice(0, 10)}: removed a dead mark: ${why}`);
      const mark = keyPaths(layout, key).mark;
      const claim = yield* guarded(claimMark(mark, settings.leaseMs, onDeadMarkRemoved), BackendError);
      if (!claim.claimed) return claim;
      // Another process may have stored the key since this caller's read: let the engine see it.
      const current = yield* readFromDisk(key);
      return current ? { ...claim, current } : claim;
    },
    renew: (key: string, token: string) => guarded(renewMark(keyPaths(layout, key).mark, token), BackendError),
    *store(key: string, entry: StoredEntry, token?: string): DiskPlan<void> {
      const bytes = encodeEntry(key, entry, settings.entrySizeLimit);
      const paths = keyPaths(layout, key);
      yield* guarded(writeAtomically(paths.entry, bytes), CacheWriteError);
      rememberedEntries.get(layout.versionDir)?.set(key, entry);
      if (token !== undefined) yield* guarded(releaseMark(paths.mark, token), BackendError);
      yield* stampIfDue();
      yield* writeManifestOnce(layout, settings);
      sweepOnce();
    },
    release: (key: string, token: string) => guarded(releaseMark(keyPaths(layout, key).mark, token), BackendError),
    *clear(): DiskPlan<void> {
      rememberedEntries.get(layout.versionDir)?.clear();
      yield* guarded(discard(layout.entriesDir, layout.functionDir), BackendError);
    },
    clearBeingCalculated: () => guarded(removeAllMarks(layout.marksDir), BackendError),
    count: () => guarded(countEntries(layout), BackendError),
    readMark: (key: string) => guarded(readMark(keyPaths(layout, key).mark), BackendError),
  };

  function operations<Mode extends 'sync' | 'async'>(run: Runner<Mode>): Omit<CoreOperations<Mode>, 'waitForEntry'> {
    return {
      get: (key) => run(plans.get(key)),
      claim: (key) => run(plans.claim(key)),
      renew: (key, token) => run(plans.renew(key, token)),
      store: (key, entry, token) => run(plans.store(key, entry, token)),
      release: (key, token) => run(plans.release(key, token)),
      clear: () => run(plans.clear()),
      clearBeingCalculated: () => run(plans.clearBeingCalculated()),
      count: () => run(plans.count()),
    };
  }

  const sync: CoreOperations<'sync'> = {
    ...operations<'sync'>(runSync),
    waitForEntry(key, { timeoutMs }) {
      const free = waitWhileMarkedSync(deadlineOf(timeoutMs), () => runSync(plans.readMark(key)));
      return free ? runSync(readFromDisk(key)) : undefined;
    },
  };

  return {
    backend: 'file',
    ...operations<'async'>(runAsync),
    // A hit reads one small local file. Read synchronously it costs tens of
    // microseconds; through libuv's thread pool (open, read, close) it costs
    // several times that in scheduling alone, which is most of a hit. Writes,
    // marks and waiting stay asynchronous.
    get: (key) => runSync(plans.get(key)),
    async waitForEntry(key, { timeoutMs }) {
      const { markName } = keyPaths(layout, key);
      const free = await waitWhileMarked(layout.marksDir, markName, deadlineOf(timeoutMs), () => runAsync(plans.readMark(key)));
      return free ? runAsync(readFromDisk(key)) : undefined;
    },
    sync,
  };
}

function rememberedFor(layout: VersionLayout): Map<string, StoredEntry> {
  let entries = rememberedEntries.get(layout.versionDir);
  if (!entries) {
    entries = new Map();
    rememberedEntries.set(layout.versionDir, entries);
  }
  return entries;
}

function* countEntries(layout: VersionLayout): DiskPlan<number> {
  let count = 0;
  for (const shard of yield* listNames(layout.entriesDir)) {
    for (const name of yield* listNames(join(layout.entriesDir, shard))) {
      if (isEntryName(name)) count++;
    }
  }
  return count;
}
