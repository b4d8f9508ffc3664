import { join } from 'node:path';
import {
  READ_LATER,
  type CacheCore,
  type ClaimResult,
  type CoreOperations,
  type CoreSettings,
  type Result,
  type StoredEntry,
} from '../../core.js';
import { BackendError, CacheWriteError, CachierError } from '../../errors.js';
import { BLOCKING_IO_LIMIT, io, isMissing, readFileUpToSync, runAsync, runMixed, runSync, type DiskPlan, type OpenedFile } from './disk.js';
import {
  DEFAULT_ENTRY_SIZE_LIMIT,
  checkedBytes,
  decodeEntry,
  decodeEntryFile,
  encodeEntry,
  encodeUnsealedEntry,
  largestEntryFile,
  sealEntry,
  startCheck,
  type DecodedEntry,
  type SealKey,
} from './entry-codec.js';
import { describeFailure, errorCode, ifPresent, listNames, touch, writeAtomically } from './files.js';
import { entryNameOfMark, isEntryName, isMarkName, keyPaths, versionLayout, type KeyPaths, type VersionLayout } from './layout.js';
import { BoundsTally, EVICT_DOWN_TO, RECENCY_RESOLUTION_MS, bytesOf, victimsOf, type EvictionCandidate } from '../shared/bounds.js';
import { writeManifestOnce } from './manifest.js';
import { sharedKey } from './shared-key.js';
import { claimMark, readMark, releaseMark, removeAllMarks, renewMark, LIVE_OWNER_LEASES, type DeadMark } from './marks.js';
import { enterFolder, isEntered, trustFor } from './trust.js';
import { STAMP_INTERVAL_MS, discard, sweepOldVersions } from './versions.js';
import { deadlineOf, waitWhileMarked, waitWhileMarkedSync } from './waiting.js';

// Process-wide state, keyed by version folder so every core of one function
// version in this process (cores are rebuilt when defaults change) shares it.
const rememberedEntries = new Map<string, Map<string, StoredEntry>>();
const nextStampAt = new Map<string, number>();
const sweptVersions = new Set<string>();
const reportedFiles = new Set<string>();
const tallies = new Map<string, BoundsTally>();
/** Version folders a background look is running on, so that one runs at a time. */
const looking = new Set<string>();

/** How many bytes of a large entry are checked per turn of the event loop: 1 MiB, 0.2 ms of CRC-32, 1 ms of HMAC. */
const CHECK_PIECE = 1024 * 1024;

/** Runs a disk plan in one flavour: sync functions block, async ones get promises. */
type Runner<Mode extends 'sync' | 'async'> = <T>(plan: DiskPlan<T>) => Result<Mode, T>;

/**
 * The `file` backend, the default: one file per entry under
 * `<cacheDir>/<function>/<source hash>/`, shared by every process of the
 * machine that can read the folder, and safe against concurrent writers and
 * processes killed at any instant. Serves sync and async functions.
 *
 * Folders are checked before use (see `file/trust.ts`): a private cache,
 * the default, refuses folders another user could write; `shared: true`
 * accepts them and authenticates entries with `CACHIER_SHARED_KEY` instead.
 * No entry file larger than the function could have stored is read.
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
  const trust = trustFor(settings.cacheDir, settings.shared === true);
  const sealKey: SealKey = settings.shared ? sharedKey() : undefined;
  const sizeLimit = settings.entrySizeLimit ?? DEFAULT_ENTRY_SIZE_LIMIT;
  // Taking a key over from a live owner is told once, then logged like other takeovers.
  let warnedOverdue = false;
  const { bounds } = settings;
  const tally = bounds && tallyFor(layout, bounds);

  // A miss asks for one key's paths five times (read, claim, read again,
  // store, release): each costs a SHA-256, so the last answer is kept.
  let lastKey: string | undefined;
  let lastPaths: KeyPaths | undefined;
  function pathsOf(key: string): KeyPaths {
    if (key !== lastKey || !lastPaths) {
      lastPaths = keyPaths(layout, key);
      lastKey = key;
    }
    return lastPaths;
  }

  /** The error the engine reports for a raw file-system error. */
  function failure(error: unknown, Failure: typeof BackendError | typeof CacheWriteError): Error {
    if (error instanceof CachierError) return error;
    return new Failure(`cachier: ${describeFailure(error, settings.cacheDir)}`, { cause: error });
  }

  function* guarded<T>(plan: DiskPlan<T>, Failure: typeof BackendError | typeof CacheWriteError): DiskPlan<T> {
    try {
      return yield* plan;
    } catch (error) {
      throw failure(error, Failure);
    }
  }

  function* readFromDisk(key: string): DiskPlan<StoredEntry | undefined> {
    const { entry: path, shard } = pathsOf(key);
    const maxBytes = largestEntryFile(sizeLimit, key, sealKey);
    let file: OpenedFile | undefined;
    try {
      // A hit reads one file: the folder, checked once per process, is not looked at again.
      if (isEntered(trust, shard) || (yield* enterFolder(trust, shard, false)))
        file = yield* io((disk) => disk.readFileUpTo(path, maxBytes));
    } catch (error) {
      throw failure(error, BackendError);
    }
    if (isStampDue()) yield* stamp();
    if (!file) return undefined;
    const check = file.bytes && file.bytes.length > BLOCKING_IO_LIMIT ? yield* checkInTurns(file.bytes) : undefined;
    const decoded = decodeFile(file, key, maxBytes, check);
    if (!decoded.ok) {
      reportUnreadable(path, decoded.problem);
      return undefined;
    }
    rememberedEntries.get(layout.versionDir)?.set(key, decoded.entry);
    if (isTouchDue(file)) yield* touchEntry(path);
    return decoded.entry;
  }

  /** Whether a hit on a bounded cache refreshes the entry's recency: its file's mtime, older than {@link RECENCY_RESOLUTION_MS}. */
  const isTouchDue = (file: OpenedFile): boolean => bounds !== undefined && Date.now() - file.mtimeMs > RECENCY_RESOLUTION_MS;

  /** Sets an entry file's mtime to now: its recency for eviction. Best effort: a file gone or read-only stays as it is. */
  function* touchEntry(path: string): DiskPlan<void> {
    try {
      yield* io((disk) => disk.setMtime(path, Date.now()));
    } catch (error) {
      log.debug(`could not refresh the recency of ${path}: ${String(error)}`);
    }
  }

  /**
   * Looks at every entry file of this version (its size and mtime) and at
   * the marks, and evicts the least recently used entries down to
   * {@link EVICT_DOWN_TO} of the bounds, sparing `keptPath` and keys in
   * flight (any mark file counts). Answers how many it removed.
   */
  function* evictBeyondBounds(limits: NonNullable<typeof bounds>, keptPath: string): DiskPlan<number> {
    tally?.lookStarting();
    const inFlight = new Set((yield* listNames(layout.marksDir)).filter(isMarkName).map(entryNameOfMark));
    const candidates: EvictionCandidate[] = [];
    for (const shard of yield* listNames(layout.entriesDir)) {
      const folder = join(layout.entriesDir, shard);
      for (const name of yield* listNames(folder)) {
        if (!isEntryName(name)) continue;
        const path = join(folder, name);
        const facts = yield* ifPresent((disk) => disk.sizeAndMtime(path));
        if (!facts) continue;
        const keep = path === keptPath || inFlight.has(shard + name);
        candidates.push({ name: path, usedAt: facts.mtimeMs, bytes: facts.size, keep });
      }
    }
    const victims = victimsOf(candidates, limits, EVICT_DOWN_TO);
    let evicted = 0;
    let evictedBytes = 0;
    for (const victim of victims) {
      if (!(yield* removeFile(victim.name))) continue;
      evicted++;
      evictedBytes += victim.bytes;
    }
    // Remembered entries are found by key, and a file's name does not give its key back.
    if (evicted > 0) rememberedEntries.get(layout.versionDir)?.clear();
    tally?.looked(candidates.length - evicted, bytesOf(candidates) - evictedBytes);
    return evicted;
  }

  /**
   * The common hit without a plan: a small entry, in a shard folder this
   * process has checked, with no stamp due, read with blocking calls (as
   * {@link readFromDisk} reads it). Anything else, a failure or an
   * unreadable file included, is left to the planned read, which handles
   * and reports it.
   */
  function readAtOnce(key: string): StoredEntry | undefined | typeof READ_LATER {
    const known = remembered?.get(key);
    if (known) return known;
    const { entry: path, shard } = pathsOf(key);
    if (!isEntered(trust, shard) || isStampDue()) return READ_LATER;
    const maxBytes = largestEntryFile(sizeLimit, key, sealKey);
    let file: OpenedFile | undefined;
    try {
      file = readFileUpToSync(path, Math.min(maxBytes, BLOCKING_IO_LIMIT));
    } catch {
      return READ_LATER;
    }
    if (!file) return undefined;
    const decoded = decodeFile(file, key, maxBytes, undefined);
    if (!decoded.ok) return READ_LATER;
    rememberedEntries.get(layout.versionDir)?.set(key, decoded.entry);
    if (isTouchDue(file)) runSync(touchEntry(path));
    return decoded.entry;
  }

  /** Writes an entry file; a folder found in its place (a stranger's) is moved out of the way, or it would block the key forever. */
  function* writeEntryFile(path: string, bytes: Buffer): DiskPlan<void> {
    try {
      yield* writeAtomically(path, bytes, trust.modes);
    } catch (error) {
      if (errorCode(error) !== 'EISDIR') throw error;
      log.debug(`${path} was a folder: replaced by the entry`);
      yield* discard(path, layout.functionDir);
      yield* writeAtomically(path, bytes, trust.modes);
    }
  }

  function* deleteStale(isStale: (entry: StoredEntry) => boolean): DiskPlan<number> {
    if (!(yield* enterFolder(trust, layout.versionDir, false))) return 0;
    let deleted = 0;
    yield* eachEntryFile(layout, function* (path) {
      // Any key fits: its length field is 16 bits.
      const file = yield* io((disk) => disk.readFileUpTo(path, largestEntryFile(sizeLimit, '', sealKey) + 0xffff));
      if (!file) return;
      const decoded = file.isFile && file.bytes ? decodeEntryFile(file.bytes, sealKey) : undefined;
      if (decoded && !isStale(decoded)) return;
      yield* ifPresent((disk) => disk.unlink(path));
      rememberedEntries.get(layout.versionDir)?.clear();
      deleted++;
    });
    return deleted;
  }

  function* totalBytes(): DiskPlan<number> {
    if (!(yield* enterFolder(trust, layout.versionDir, false))) return 0;
    let total = 0;
    yield* eachEntryFile(layout, function* (path) {
      total += (yield* ifPresent((disk) => disk.size(path))) ?? 0;
    });
    return total;
  }

  /**
   * The check of an entry's bytes, a piece per turn of the event loop when
   * the plan runs asynchronously (all at once on the blocking disk).
   */
  function* checkInTurns(bytes: Buffer): DiskPlan<Buffer> {
    const check = startCheck(sealKey);
    const checked = checkedBytes(bytes, sealKey);
    for (let at = 0; at < checked.length; at += CHECK_PIECE) {
      if (at > 0) yield* io((disk) => disk.nextTurn());
      check.update(checked.subarray(at, at + CHECK_PIECE));
    }
    return check.digest();
  }

  /** The entry in an opened file; the checks that `fstat` alone decides come first. */
  function decodeFile(file: OpenedFile, key: string, maxBytes: number, check: Buffer | undefined): DecodedEntry {
    if (!file.isFile) return { ok: false, problem: 'not a regular file (a folder, a symbolic link or a FIFO)' };
    if (!file.bytes) {
      return {
        ok: false,
        problem: `${file.size} bytes long, more than the largest entry this function stores (${maxBytes} bytes, from entrySizeLimit or its default)`,
      };
    }
    if (!trust.shared && trust.uid !== undefined && file.uid !== trust.uid) {
      return { ok: false, problem: `owned by uid ${file.uid}, not by this user (uid ${trust.uid})` };
    }
    return decodeEntry(file.bytes, key, sealKey, check);
  }

  function reportUnreadable(path: string, problem: string): void {
    if (reportedFiles.has(path)) {
      log.debug(`${path} is still unreadable (${problem})`);
      return;
    }
    reportedFiles.add(path);
    log.warn(`the cache file ${path} is ${problem}; it counts as a miss and the next result replaces it`, 'CACHIER_UNREADABLE_ENTRY');
  }

  /** Whether this version's `used` stamp is due for a refresh: once an hour, checked without starting a plan. */
  const isStampDue = (): boolean => (nextStampAt.get(layout.versionDir) ?? 0) <= Date.now();

  /** Refreshes this version's `used` stamp (when {@link isStampDue}), so sweeps by newer versions spare it. */
  function* stamp(): DiskPlan<void> {
    const now = Date.now();
    try {
      // Reads create nothing: a version is stamped once something created its folder.
      if (!(yield* enterFolder(trust, layout.versionDir, false))) return;
      nextStampAt.set(layout.versionDir, now + STAMP_INTERVAL_MS);
      yield* touch(layout.usedStamp, trust.modes);
    } catch (error) {
      nextStampAt.set(layout.versionDir, now + STAMP_INTERVAL_MS);
      log.debug(`could not stamp ${layout.usedStamp}: ${String(error)}`);
    }
  }

  /** Starts a look at the bounds when one is `due` and none runs on this version yet; answers 0, the evictions `store` made itself. */
  function lookInBackground(due: boolean, key: string): number {
    if (!due || looking.has(layout.versionDir)) return 0;
    looking.add(layout.versionDir);
    const keptPath = pathsOf(key).entry;
    Promise.resolve()
      .then(() => runAsync(plans.look(keptPath)))
      .then((evicted) => settings.onEvicted?.(evicted))
      .catch((error: unknown) => log.debug(`could not evict beyond the bounds: ${String(error)}`))
      .finally(() => looking.delete(layout.versionDir));
    return 0;
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
      const onDeadMarkRemoved = (dead: DeadMark): void => {
        const message = `key ${key.slice(0, 10)}: took over its mark: ${dead.why}`;
        if (!dead.overdue || warnedOverdue) {
          log.debug(message);
          return;
        }
        warnedOverdue = true;
        log.warn(
          `${message}, so the key is computed twice at once. A sync computation cannot renew its lease: if this ` +
            `function may compute that long, raise its lease (on one host a mark holds ${LIVE_OWNER_LEASES} leases while its owner runs)`,
          'CACHIER_LEASE_EXCEEDED',
        );
      };
      const mark = pathsOf(key).mark;
      yield* guarded(enterFolder(trust, layout.marksDir, true), BackendError);
      // The claim may create the version's folder: name its function there even if no call ever stores.
      yield* writeManifestOnce(layout, settings, trust.modes);
      const claim = yield* guarded(claimMark(mark, settings.leaseMs, trust.modes, onDeadMarkRemoved), BackendError);
      if (!claim.claimed) return claim;
      // Another process may have stored the key since this caller's read: let the engine see it.
      // Mostly none did, which one lstat that raises no error tells (a failed open raises one).
      if (
        !(yield* guarded(
          io((disk) => disk.lstatIfPresent(pathsOf(key).entry)),
          BackendError,
        ))
      )
        return claim;
      const current = yield* readFromDisk(key);
      return current ? { ...claim, current } : claim;
    },
    renew: (key: string, token: string) => guarded(renewMark(pathsOf(key).mark, token), BackendError),
    /** Writes the entry; answers whether a look at the bounds is due. */
    *write(key: string, entry: StoredEntry, bytes: Buffer, token?: string): DiskPlan<boolean> {
      const paths = pathsOf(key);
      yield* guarded(enterFolder(trust, paths.shard, true), CacheWriteError);
      yield* guarded(writeEntryFile(paths.entry, bytes), CacheWriteError);
      rememberedEntries.get(layout.versionDir)?.set(key, entry);
      if (token !== undefined) yield* guarded(releaseMark(paths.mark, token), BackendError);
      if (isStampDue()) yield* stamp();
      yield* writeManifestOnce(layout, settings, trust.modes);
      sweepOnce();
      // O(1) while the tally says the cache fits; a look at every entry once it may not.
      return bounds !== undefined && tally?.stored(bytes.length) === true;
    },
    /** Looks at the bounds (see {@link evictBeyondBounds}); answers how many entries it evicted. */
    *look(keptPath: string): DiskPlan<number> {
      if (!bounds) return 0;
      try {
        return yield* evictBeyondBounds(bounds, keptPath);
      } catch (error) {
        // The entry is stored: a failed look only leaves the cache over its bounds until the next one.
        tally?.forget();
        log.debug(`could not evict beyond the bounds in ${layout.entriesDir}: ${String(error)}`);
        return 0;
      }
    },
    /** A synchronous function's store: the look, when due, is part of it. */
    *store(key: string, entry: StoredEntry, bytes: Buffer, token?: string): DiskPlan<number> {
      return (yield* plans.write(key, entry, bytes, token)) ? yield* plans.look(pathsOf(key).entry) : 0;
    },
    /**
     * Writes a large entry serialized without its check: the check is computed
     * in pieces first, from the next turn of the event loop on (the
     * serialization just held it).
     */
    *sealAndWrite(key: string, entry: StoredEntry, unsealed: Buffer, token?: string): DiskPlan<boolean> {
      yield* io((disk) => disk.nextTurn());
      const bytes = sealEntry(unsealed, sealKey, yield* checkInTurns(unsealed));
      return yield* plans.write(key, entry, bytes, token);
    },
    release: (key: string, token: string) => guarded(releaseMark(pathsOf(key).mark, token), BackendError),
    *clear(): DiskPlan<void> {
      rememberedEntries.get(layout.versionDir)?.clear();
      tally?.forget();
      if (!(yield* guarded(enterFolder(trust, layout.versionDir, false), BackendError))) return;
      yield* guarded(discard(layout.entriesDir, layout.functionDir), BackendError);
    },
    *clearBeingCalculated(): DiskPlan<void> {
      if (!(yield* guarded(enterFolder(trust, layout.versionDir, false), BackendError))) return;
      yield* guarded(removeAllMarks(layout.marksDir), BackendError);
    },
    *count(): DiskPlan<number> {
      if (!(yield* guarded(enterFolder(trust, layout.versionDir, false), BackendError))) return 0;
      return yield* guarded(countEntries(layout), BackendError);
    },
    *delete(key: string): DiskPlan<boolean> {
      rememberedEntries.get(layout.versionDir)?.delete(key);
      if (!(yield* guarded(enterFolder(trust, layout.versionDir, false), BackendError))) return false;
      return yield* guarded(removeFile(pathsOf(key).entry), BackendError);
    },
    deleteStale: (isStale: (entry: StoredEntry) => boolean) => guarded(deleteStale(isStale), BackendError),
    totalBytes: () => guarded(totalBytes(), BackendError),
    readMark: (key: string) => guarded(readMark(pathsOf(key).mark), BackendError),
  };

  function operations<Mode extends 'sync' | 'async'>(run: Runner<Mode>): Omit<CoreOperations<Mode>, 'waitForEntry'> {
    return {
      get: (key) => run(plans.get(key)),
      claim: (key) => run(plans.claim(key)),
      renew: (key, token) => run(plans.renew(key, token)),
      store: (key, entry, token) => run(plans.store(key, entry, encodeEntry(key, entry, sizeLimit, sealKey), token)),
      release: (key, token) => run(plans.release(key, token)),
      clear: () => run(plans.clear()),
      clearBeingCalculated: () => run(plans.clearBeingCalculated()),
      count: () => run(plans.count()),
      delete: (key) => run(plans.delete(key)),
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
    readAtOnce,
    ...operations<'async'>(runAsync),
    // A hit reads one small local file, a claim creates one, a store of a
    // small value writes one: each costs a few microseconds per system call
    // done synchronously, and several times that through libuv's thread pool
    // (a hand-off and a wake-up per call, ~15 of them per miss), which was
    // most of an async function's miss. So those run synchronously; entries
    // larger than BLOCKING_IO_LIMIT are read and written on the thread pool,
    // where copying them does not hold up the event loop, and waiting,
    // cleanups and counting stay asynchronous.
    get: (key) => runMixed(plans.get(key)),
    claim: (key) => runMixed(plans.claim(key)),
    renew: (key, token) => runSync(plans.renew(key, token)),
    release: (key, token) => runSync(plans.release(key, token)),
    // An async function's store answers once the entry is written; a look,
    // when due, runs after it on the thread pool (a look at 100,000 entries
    // is 100,000 lstat calls) and reports its evictions to onEvicted.
    store(key, entry, token) {
      const bytes = encodeUnsealedEntry(key, entry, sizeLimit, sealKey);
      if (bytes.length > BLOCKING_IO_LIMIT) {
        return Promise.resolve(runAsync(plans.sealAndWrite(key, entry, bytes, token))).then((due) => lookInBackground(due, key));
      }
      return lookInBackground(runSync(plans.write(key, entry, sealEntry(bytes, sealKey), token)), key);
    },
    deleteStale: (isStale) => runAsync(plans.deleteStale(isStale)),
    totalBytes: () => runAsync(plans.totalBytes()),
    async waitForEntry(key, { timeoutMs }) {
      const { markName } = pathsOf(key);
      const free = await waitWhileMarked(layout.marksDir, markName, deadlineOf(timeoutMs), () => runAsync(plans.readMark(key)));
      return free ? runAsync(readFromDisk(key)) : undefined;
    },
    sync,
  };
}

/** The tally of one version folder, shared by every core of it in this process. */
function tallyFor(layout: VersionLayout, bounds: NonNullable<CoreSettings['bounds']>): BoundsTally {
  let tally = tallies.get(layout.versionDir);
  if (!tally || tally.bounds.maxEntries !== bounds.maxEntries || tally.bounds.maxBytes !== bounds.maxBytes) {
    tally = new BoundsTally(bounds);
    tallies.set(layout.versionDir, tally);
  }
  return tally;
}

function rememberedFor(layout: VersionLayout): Map<string, StoredEntry> {
  let entries = rememberedEntries.get(layout.versionDir);
  if (!entries) {
    entries = new Map();
    rememberedEntries.set(layout.versionDir, entries);
  }
  return entries;
}

/** Calls `visit` with the path of every entry file of a version. */
function* eachEntryFile(layout: VersionLayout, visit: (path: string) => DiskPlan<void>): DiskPlan<void> {
  for (const shard of yield* listNames(layout.entriesDir)) {
    for (const name of yield* listNames(join(layout.entriesDir, shard))) {
      if (isEntryName(name)) yield* visit(join(layout.entriesDir, shard, name));
    }
  }
}

/** Unlinks `path`; answers whether it was there. */
function* removeFile(path: string): DiskPlan<boolean> {
  try {
    yield* io((disk) => disk.unlink(path));
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function* countEntries(layout: VersionLayout): DiskPlan<number> {
  let count = 0;
  // biome-ignore lint/correctness/useYield: eachEntryFile visits with a disk plan; counting a file needs no disk step.
  yield* eachEntryFile(layout, function* () {
    count++;
  });
  return count;
}
