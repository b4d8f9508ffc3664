import { nodeCrypto } from '../../node-builtins.js';
import { join } from 'node:path';
import { io, type DiskPlan } from './disk.js';
import { errorCode, ifPresent, listNames } from './files.js';
import { TRASH_PREFIX, type VersionLayout } from './layout.js';

/*
 * Old source-hash versions. Editing a function gives its cache a new version
 * folder; the old one is never served again but must not pile up. Yet old and
 * new code can run side by side (a rolling deployment, two checkouts), each
 * using its own version. So: every process using a version refreshes its
 * `used` stamp (at most once per STAMP_INTERVAL), and a version whose stamp
 * is older than UNUSED_VERSION_MS is removed by the first process that writes
 * to another version of the same function.
 */

/** A version not used by any process for this long is deleted. */
export const UNUSED_VERSION_MS = 24 * 60 * 60 * 1000;

/** How often a process using a version refreshes its `used` stamp. */
export const STAMP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Takes `path` out of the cache at once with a rename (readers see it gone,
 * nothing half-deleted), then deletes it. Answers whether there was anything.
 */
export function* discard(path: string, functionDir: string): DiskPlan<boolean> {
  const trash = join(functionDir, TRASH_PREFIX + nodeCrypto().randomUUID());
  try {
    yield* io((disk) => disk.rename(path, trash));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
  yield* io((disk) => disk.removeTree(trash));
  return true;
}

/** When a version folder was last used: its stamp, else the folder's own time. */
function* lastUsed(versionDir: string): DiskPlan<number | undefined> {
  return (yield* ifPresent((disk) => disk.mtime(join(versionDir, 'used')))) ?? (yield* ifPresent((disk) => disk.mtime(versionDir)));
}

/**
 * Deletes the function's other versions unused for {@link UNUSED_VERSION_MS},
 * and trash left behind by processes that died while deleting.
 */
export function* sweepOldVersions(layout: VersionLayout): DiskPlan<void> {
  for (const name of yield* listNames(layout.functionDir)) {
    if (name === layout.versionName) continue;
    const path = join(layout.functionDir, name);
    if (name.startsWith(TRASH_PREFIX)) {
      yield* io((disk) => disk.removeTree(path));
      continue;
    }
    const used = yield* lastUsed(path);
    if (used !== undefined && Date.now() - used > UNUSED_VERSION_MS) yield* discard(path, layout.functionDir);
  }
}
