import { dirname, relative, join, sep } from 'node:path';
import { BackendError, UnsafeCacheDirError } from '../../errors.js';
import { io, type DiskPlan, type PathFacts } from './disk.js';
import { errorCode, makeFolder, makeFolders, type Modes } from './files.js';
import { markRoot } from './root-marker.js';

/*
 * Who may write a cache folder. A private cache (the default) serves an entry
 * only from folders its user alone can write, checked the way OpenSSH checks
 * ~/.ssh and XDG checks runtime folders:
 *
 * - the root (cacheDir) and every folder below it that the core enters is a
 *   real folder (not a symbolic link), owned by this user, not writable by the
 *   group or others;
 * - every folder above the root is owned by this user or root, and not
 *   writable by others unless sticky (as /tmp is: nobody can rename what they
 *   do not own there), and no symbolic link on the way belongs to another user;
 * - entry files are owned by this user (checked on the open file).
 *
 * A shared cache (opt-in) is writable by a team on purpose: none of this is
 * checked, and every entry is authenticated with an HMAC instead (entry-codec.ts).
 * On Windows, where Node reports no owners, only "is a folder" is checked.
 */

/** How one core treats the folders it finds. */
export interface Trust {
  /** The cache root, an absolute path. */
  readonly root: string;
  readonly shared: boolean;
  /** This process's user id; undefined where the platform has none (Windows). */
  readonly uid: number | undefined;
  /** Permission bits of new files and folders: the user's only, or the group's too when shared. */
  readonly modes: Modes;
}

const PRIVATE_MODES: Modes = { file: 0o600, folder: 0o700 };
const SHARED_MODES: Modes = { file: 0o660, folder: 0o770 };
const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

/** The trust rules of a cache rooted at `root`. */
export function trustFor(root: string, shared: boolean): Trust {
  return { root, shared, uid: process.getuid?.(), modes: shared ? SHARED_MODES : PRIVATE_MODES };
}

// Folders this process has checked, per rule set: checking costs a few stats once, not per call.
// Keyed by the path itself (no key string built per call: a miss asks for four folders).
const checkedPrivate = new Set<string>();
const checkedShared = new Set<string>();
const checkedUnder = (trust: Trust): Set<string> => (trust.shared ? checkedShared : checkedPrivate);

/** Whether `folder` passed the checks in this process already: then {@link enterFolder} answers true at once. */
export function isEntered(trust: Trust, folder: string): boolean {
  return checkedUnder(trust).has(folder);
}

/** `path` and every folder above it, from the file-system root down. */
function pathsDownTo(path: string): string[] {
  const paths = [path];
  for (let parent = dirname(path); parent !== paths[0]; parent = dirname(parent)) paths.unshift(parent);
  return paths;
}

/** Why a folder of the cache itself is not private, if it is not. */
function privateFolderProblem(facts: PathFacts, uid: number): string | undefined {
  if (facts.isSymbolicLink) return 'it is a symbolic link';
  if (facts.uid !== uid) return `it is owned by uid ${facts.uid}, not by this user (uid ${uid})`;
  if ((facts.mode & WRITABLE_BY_OTHERS) !== 0) {
    return `it is writable by ${facts.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(facts.mode & 0o7777).toString(8)})`;
  }
  return undefined;
}

/** Why a folder above the cache root lets someone else swap the cache, if it does. */
function ancestorProblem(path: string, facts: PathFacts, uid: number): string | undefined {
  if (facts.uid !== uid && facts.uid !== 0) return `the folder ${path} above it is owned by uid ${facts.uid}`;
  if ((facts.mode & WRITABLE_BY_OTHERS) !== 0 && (facts.mode & STICKY) === 0) {
    return `the folder ${path} above it is writable by others (mode ${(facts.mode & 0o7777).toString(8)}) without the sticky bit`;
  }
  return undefined;
}

function notAFolder(path: string): BackendError {
  return new BackendError(`cachier: the cache folder ${path} is not a folder; remove it or point cacheDir or CACHIER_DIR elsewhere`);
}

/** Facts about `path` itself, or undefined if nothing is there. */
function lstatIfPresent(path: string): DiskPlan<PathFacts | undefined> {
  return io((disk) => disk.lstatIfPresent(path));
}

/** Checks the root and what leads to it. Answers false if it does not exist. */
function* checkRoot(trust: Trust): DiskPlan<boolean> {
  const { root, uid } = trust;
  if (trust.shared || uid === undefined) {
    const facts = yield* lstatIfPresent(root);
    if (facts && !(yield* io((disk) => disk.stat(root))).isDirectory) throw notAFolder(root);
    return facts !== undefined;
  }
  for (const path of pathsDownTo(root)) {
    const facts = yield* lstatIfPresent(path);
    if (!facts) return false;
    if (facts.isSymbolicLink && facts.uid !== uid && facts.uid !== 0) {
      throw new UnsafeCacheDirError(root, `it is reached through ${path}, a symbolic link owned by uid ${facts.uid}`);
    }
  }
  const real = yield* io((disk) => disk.realpath(root));
  for (const path of pathsDownTo(real)) {
    const facts = yield* io((disk) => disk.lstat(path));
    if (!facts.isDirectory) throw notAFolder(root);
    const problem = path === real ? privateFolderProblem(facts, uid) : ancestorProblem(path, facts, uid);
    if (problem) throw new UnsafeCacheDirError(root, problem);
  }
  return true;
}

/** Checks one folder below the root. Answers false if it does not exist. */
function* checkBelowRoot(trust: Trust, path: string): DiskPlan<boolean> {
  const facts = yield* lstatIfPresent(path);
  if (!facts) return false;
  if (trust.shared || trust.uid === undefined) {
    if (!(yield* io((disk) => disk.stat(path))).isDirectory) throw notAFolder(path);
    return true;
  }
  const problem = privateFolderProblem(facts, trust.uid);
  if (problem) throw new UnsafeCacheDirError(path, problem);
  if (!facts.isDirectory) throw notAFolder(path);
  return true;
}

/**
 * Makes sure `folder` (the root or a folder below it) and every folder
 * between the root and it can be trusted, creating the missing ones first
 * when `create` is set. Answers whether `folder` exists: a read needs no
 * folder that does not exist yet, and a write whose folder a concurrent
 * clear just removed recreates it itself.
 *
 * @throws {@link UnsafeCacheDirError} when a folder fails the checks.
 */
export function* enterFolder(trust: Trust, folder: string, create: boolean): DiskPlan<boolean> {
  const checked = checkedUnder(trust);
  if (checked.has(folder)) return true;
  const below = relative(trust.root, folder);
  const chain = [trust.root];
  for (const name of below === '' ? [] : below.split(sep)) chain.push(join(chain[chain.length - 1] as string, name));
  for (const [index, path] of chain.entries()) {
    if (checked.has(path)) continue;
    if (create && index > 0) {
      // Below a checked folder, creating comes first. A folder this process
      // makes there has this user as owner and the modes asked for (a umask
      // only removes bits), inside a folder only this user (or, shared, the
      // team) can write, so it needs no look: a new shard costs one mkdir,
      // where a look, a mkdir and a second look took three calls.
      const made = yield* makeFolder(path, trust.modes.folder);
      // A concurrent clear took its parent away: the caller's write retries and recreates it.
      if (made === undefined) return false;
      if (made) {
        checked.add(path);
        continue;
      }
    }
    const check = (): DiskPlan<boolean> => (index === 0 ? checkRoot(trust) : checkBelowRoot(trust, path));
    if (!(yield* check())) {
      if (!create) return false;
      try {
        yield* makeFolders(path, trust.modes.folder);
        // A root this core created is marked, so `cachier` knows it may clean it (root-marker.ts).
        if (index === 0) yield* markRoot(path, trust.modes);
      } catch (error) {
        // A concurrent clear took a folder of the chain away: the caller's write retries and recreates it.
        if (errorCode(error) === 'ENOENT') return false;
        throw error;
      }
      if (!(yield* check())) return false;
    }
    checked.add(path);
  }
  return true;
}
