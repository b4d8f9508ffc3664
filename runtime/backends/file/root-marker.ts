import * as fs from 'node:fs';
import { join } from 'node:path';
import type { DiskPlan } from './disk.js';
import { writeAtomically, type Modes } from './files.js';
import { MANIFEST_NAME, TRASH_PREFIX, isLayoutName, isTempName } from './layout.js';

/*
 * How a folder is known to be a file cache root, so that `cachier` never
 * lists or removes anything in a folder cachier did not write (a mistyped
 * `--dir` or `CACHIER_DIR` must not wipe a home folder):
 *
 * - a root the file core created holds a `CACHEDIR.TAG` (the Cache Directory
 *   Tagging Specification, https://bford.info/cachedir/, which backup tools
 *   honour too) naming cachier;
 * - a root made before the tag existed is recognised by its layout: nothing
 *   but function folders, version folders and their files, named as the core
 *   names them, with no symbolic link anywhere.
 */

/** The marker file's name in a cache root. */
export const ROOT_MARKER = 'CACHEDIR.TAG';

const SIGNATURE = 'Signature: 8a477f597d28d172789f06886806bc55';
const CREATOR = 'created by cachier';
const MARKER_TEXT = `${SIGNATURE}\n# This file is a cache directory tag ${CREATOR} (persistent memoization).\n# For information about cache directory tags see https://bford.info/cachedir/\n`;

/** Writes the marker into a cache root the core has just created. */
export function* markRoot(root: string, modes: Modes): DiskPlan<void> {
  yield* writeAtomically(join(root, ROOT_MARKER), Buffer.from(MARKER_TEXT, 'utf8'), modes);
}

/** Whether `root` holds cachier's marker: a regular file (not a link) naming cachier. */
function isMarked(root: string): boolean {
  try {
    const path = join(root, ROOT_MARKER);
    if (!fs.lstatSync(path).isFile()) return false;
    const text = fs.readFileSync(path, 'utf8');
    return text.startsWith(SIGNATURE) && text.includes(CREATOR);
  } catch {
    return false;
  }
}

type Dirent = fs.Dirent;

function children(folder: string): Dirent[] {
  return fs.readdirSync(folder, { withFileTypes: true });
}

/** Files a version folder may hold besides its `entries` and `marks` folders. */
const isVersionFile = (name: string): boolean => name === 'used' || name === MANIFEST_NAME || isTempName(name);

/** Why the folder is not in the file core's layout, or `undefined` when it is. Reads three levels, never entries. */
function layoutProblem(root: string): string | undefined {
  for (const fn of children(root)) {
    const fnPath = join(root, fn.name);
    if (!fn.isDirectory() || !isLayoutName(fn.name)) return `${fnPath} is not a function folder of the cache`;
    for (const version of children(fnPath)) {
      const versionPath = join(fnPath, version.name);
      if (version.isDirectory() && version.name.startsWith(TRASH_PREFIX)) continue;
      if (!version.isDirectory() || !isLayoutName(version.name)) return `${versionPath} is not a version folder of the cache`;
      for (const item of children(versionPath)) {
        const known = item.isDirectory() ? item.name === 'entries' || item.name === 'marks' : item.isFile() && isVersionFile(item.name);
        if (!known) return `${join(versionPath, item.name)} is not part of a version folder`;
      }
    }
  }
  return undefined;
}

/**
 * Why `root` is not a file cache root cachier may list and clean, or
 * `undefined` when it is one (marked, or laid out as the core lays out a
 * cache) or does not exist (nothing to list).
 */
export function notACacheRoot(root: string): string | undefined {
  let facts: fs.Stats;
  try {
    facts = fs.statSync(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!facts.isDirectory()) return `${root} is not a folder`;
  if (isMarked(root)) return undefined;
  return layoutProblem(root);
}
