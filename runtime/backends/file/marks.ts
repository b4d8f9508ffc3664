import { nodeCrypto } from '../../node-builtins.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ClaimResult } from '../../core.js';
import { io, type DiskPlan, type FileIdentity } from './disk.js';
import { createIfAbsent, errorCode, ifPresent, listNames, uniqueSuffix, type Modes } from './files.js';
import { isMarkName, isTempName, tempPathFor } from './layout.js';
import { livenessOf, processStartTime } from './owner-liveness.js';

/*
 * A being-calculated mark is a small JSON file, `<marks>/<key hash>.mark`,
 * naming its owner (token, pid, host, and on Linux the process's start time)
 * and its lease length. The lease runs from the file's modification time, so
 * renewing is one `utimes`, and the content never changes after the mark is
 * created: comparing contents tells one mark from another.
 *
 * A mark is live while its lease runs, unless its owner is on this host and
 * gone (see `owner-liveness.ts`). Past its lease, a mark whose owner runs on
 * this host stays live for up to LIVE_OWNER_LEASES leases: a synchronous
 * computation blocks its event loop, so it cannot renew, and computing its
 * key again elsewhere would only do the same work twice. Past that bound its
 * owner counts as hung. A stopped owner computes nothing, and an owner on
 * another host cannot be asked: for those, the lease alone counts. Anything
 * else (expired, dead owner, unreadable) may be taken over, except that a
 * mark is written in place (created with O_EXCL, then filled through the same
 * descriptor, where a temporary file, a hard link and an unlink took more
 * calls), so a mark that cannot be read yet is live for BEING_WRITTEN_MS
 * after its creation; one still unreadable then was left by a claimer killed
 * in between.
 */

/** What a mark file holds: its owner and lease. */
export interface MarkOwner {
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly leaseMs: number;
  /** When the owner process started, on hosts that tell it (see `owner-liveness.ts`). */
  readonly startTime?: string;
}

/** A mark that no longer holds its key: its content, and why. */
export interface DeadMark {
  readonly kind: 'dead';
  readonly bytes: Buffer;
  readonly why: string;
  /** Its owner still runs on this host, but has not renewed it for {@link LIVE_OWNER_LEASES} leases. */
  readonly overdue: boolean;
}

/** What a mark file says about its key. */
export type MarkState =
  | { readonly kind: 'none' }
  | { readonly kind: 'live'; readonly expiresAt: number; readonly ownedByThisProcess: boolean }
  | DeadMark;

/**
 * How many leases past its last renewal a mark holds while its owner runs on
 * this host: 5 minutes with the default lease of 30 s.
 */
export const LIVE_OWNER_LEASES = 10;

const HOST = hostname();
const CLAIM_ATTEMPTS = 3;
/** A mark is a line of JSON; a larger file is not one, and is not read. */
const MARK_MAX_BYTES = 4096;
/**
 * A temporary file lives for microseconds (a mark being released) or keeps
 * its modification time fresh while written (an entry); one untouched this
 * long was left by a killed process, and `cachier prune` removes it.
 */
export const LEFTOVER_AGE_MS = 10_000;
/** How long after its creation an unreadable mark counts as one being written. */
const BEING_WRITTEN_MS = 1000;

/** The content of the mark file at `path`, or undefined if there is none; empty when it is no mark. */
function* readMarkBytes(path: string): DiskPlan<Buffer | undefined> {
  const file = yield* io((disk) => disk.readFileUpTo(path, MARK_MAX_BYTES));
  return file && (file.bytes ?? Buffer.alloc(0));
}

/** The owner a mark file names, or `undefined` when it is unreadable. */
export function parseOwner(bytes: Buffer): MarkOwner | undefined {
  try {
    const owner = JSON.parse(bytes.toString('utf8')) as Partial<MarkOwner> | null;
    const valid =
      typeof owner?.token === 'string' &&
      Number.isInteger(owner.pid) &&
      // process.kill(0 or -1, 0) would ask about whole process groups.
      (owner.pid as number) > 0 &&
      typeof owner.host === 'string' &&
      typeof owner.leaseMs === 'number' &&
      (owner.startTime === undefined || typeof owner.startTime === 'string');
    return valid ? (owner as MarkOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the mark at `path` and judges whether it still holds its key. */
export function* readMark(path: string): DiskPlan<MarkState> {
  const file = yield* io((disk) => disk.readFileUpTo(path, MARK_MAX_BYTES));
  if (!file) return { kind: 'none' };
  const bytes = file.bytes ?? Buffer.alloc(0);
  const owner = parseOwner(bytes);
  const dead = (why: string, overdue = false): MarkState => ({ kind: 'dead', bytes, why, overdue });
  if (!owner) {
    const writtenBy = file.mtimeMs + BEING_WRITTEN_MS;
    return Date.now() < writtenBy ? { kind: 'live', expiresAt: writtenBy, ownedByThisProcess: false } : dead('it was unreadable');
  }
  const now = Date.now();
  const leaseEnds = file.mtimeMs + owner.leaseMs;
  if (owner.host !== HOST) {
    if (now < leaseEnds) return { kind: 'live', expiresAt: leaseEnds, ownedByThisProcess: false };
    return dead(`its lease ran out (pid ${owner.pid} on ${owner.host})`);
  }
  const liveness = livenessOf(owner.pid, owner.startTime);
  if (liveness === 'gone') return dead(`its owner, pid ${owner.pid}, is gone`);
  const ownedByThisProcess = owner.pid === process.pid;
  if (now < leaseEnds) return { kind: 'live', expiresAt: leaseEnds, ownedByThisProcess };
  if (liveness === 'stopped') return dead(`its lease ran out while its owner, pid ${owner.pid}, was stopped`);
  const holdEnds = file.mtimeMs + owner.leaseMs * LIVE_OWNER_LEASES;
  if (now < holdEnds) return { kind: 'live', expiresAt: holdEnds, ownedByThisProcess };
  const silentFor = `${LIVE_OWNER_LEASES} leases (${owner.leaseMs * LIVE_OWNER_LEASES}ms)`;
  return dead(`its owner, pid ${owner.pid}, is alive on this host but has not renewed its mark for ${silentFor}`, true);
}

/**
 * Removes the mark at `path` only if it is the one `isTheMark` recognizes.
 * Checking and then unlinking by name could remove a mark another process
 * created in between (two waiters both clearing a dead mark, the second
 * deleting the fresh mark of the first). So the file is first renamed to a
 * name only this caller knows, which atomically takes whatever mark is there,
 * then checked, and put back with a hard link if it was not the expected one.
 */
function* removeMarkIf(path: string, isTheMark: (bytes: Buffer) => boolean): DiskPlan<boolean> {
  const taken = tempPathFor(path, uniqueSuffix());
  try {
    yield* io((disk) => disk.rename(path, taken));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  const expected = isTheMark((yield* readMarkBytes(taken)) ?? Buffer.alloc(0));
  if (!expected) {
    try {
      yield* io((disk) => disk.link(taken, path));
    } catch (error) {
      // A third caller found the name free and marked the key meanwhile; its mark stands.
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  }
  yield* ifPresent((disk) => disk.unlink(taken));
  return expected;
}

/**
 * Whether `path` is the very file whose identity was taken when it was
 * created: one `lstat` where reading its content takes four calls.
 */
function* isFileCreated(path: string, created: FileIdentity): DiskPlan<boolean> {
  const found = yield* ifPresent((disk) => disk.identity(path));
  return found !== undefined && found.dev === created.dev && found.ino === created.ino && found.birthtimeMs === created.birthtimeMs;
}

/** Whether `identity` tells files apart over time: some network file systems keep no birth time. */
function hasBirthTime(identity: FileIdentity | undefined): identity is FileIdentity {
  return identity !== undefined && identity.birthtimeMs > 0;
}

/** The identity of each mark this process holds, by token, so releasing it needs no read. */
const heldMarks = new Map<string, FileIdentity>();

/**
 * Marks the key at `path` as being calculated by a new owner, unless a live
 * mark holds it. Dead marks are removed (and `onDeadMarkRemoved` hears which) and taken over.
 */
export function* claimMark(
  path: string,
  leaseMs: number,
  modes: Modes,
  onDeadMarkRemoved: (dead: DeadMark) => void,
): DiskPlan<ClaimResult> {
  const token = nodeCrypto().randomUUID();
  const owner: MarkOwner = { token, pid: process.pid, host: HOST, leaseMs, startTime: processStartTime() };
  const bytes = Buffer.from(JSON.stringify(owner), 'utf8');
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const created = yield* createIfAbsent(path, bytes, modes);
    if (created) {
      heldMarks.set(token, created);
      return { claimed: true, token };
    }
    const state = yield* readMark(path);
    if (state.kind === 'live') return { claimed: false };
    if (state.kind !== 'dead') continue;
    if (yield* removeMarkIf(path, (found) => found.equals(state.bytes))) onDeadMarkRemoved(state);
  }
  return { claimed: false };
}

/** Restarts the lease of the mark at `path` if `token` still owns it. */
export function* renewMark(path: string, token: string): DiskPlan<void> {
  const bytes = yield* readMarkBytes(path);
  if (bytes && parseOwner(bytes)?.token === token) {
    const now = Date.now();
    yield* ifPresent((disk) => disk.setMtime(path, now));
  }
}

/**
 * Removes the mark at `path` if `token` owns it. When the identity of the
 * mark this process created is known, one `lstat` tells whether the file
 * there is still that mark, and only then is it unlinked: two calls where
 * taking it with a rename, looking, and unlinking took three (and on ext4 a
 * rename costs as much as creating a file). A mark that is no longer ours
 * (taken over after its lease ran out during a long computation, or cleared)
 * is then not even moved, where the rename took it away from its new owner
 * for a moment. What remains is the window between the `lstat` and the
 * `unlink`, in which ours would have to be removed and another created.
 */
export function* releaseMark(path: string, token: string): DiskPlan<void> {
  const created = heldMarks.get(token);
  heldMarks.delete(token);
  if (!hasBirthTime(created)) {
    yield* removeMarkIf(path, (bytes) => parseOwner(bytes)?.token === token);
    return;
  }
  if (yield* isFileCreated(path, created)) yield* ifPresent((disk) => disk.unlink(path));
}

/**
 * Removes every mark in `marksDir`, whoever owns it, and the temporary files
 * of claims by processes killed midway (older than {@link LEFTOVER_AGE_MS},
 * so a claim in progress keeps its own).
 */
export function* removeAllMarks(marksDir: string): DiskPlan<void> {
  for (const name of yield* listNames(marksDir)) {
    const path = join(marksDir, name);
    if (isTempName(name)) {
      const mtime = yield* ifPresent((disk) => disk.mtime(path));
      if (mtime === undefined || Date.now() - mtime < LEFTOVER_AGE_MS) continue;
    } else if (!isMarkName(name)) {
      continue;
    }
    yield* ifPresent((disk) => disk.unlink(path));
  }
}
