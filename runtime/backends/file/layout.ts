import { nodeCrypto } from '../../node-builtins.js';
import { join, sep } from 'node:path';

/**
 * Where the file core keeps one function's cache:
 *
 * ```text
 * <cacheDir>/CACHEDIR.TAG                                 marks the root as a cachier cache (root-marker.ts)
 * <cacheDir>/<function>/<version>/entries/<ab>/<62 hex>   one entry per file
 * <cacheDir>/<function>/<version>/marks/<64 hex>.mark     being-calculated marks
 * <cacheDir>/<function>/<version>/used                    mtime = last use of this version
 * <cacheDir>/<function>/<version>/manifest.json           what the folder holds, for people and `cachier ls`
 * <cacheDir>/<function>/.trash-<random>                   cleared entries, old versions, being deleted
 * ```
 *
 * `<function>` and `<version>` are a readable slug of the function id and of
 * the source hash plus a hash of the exact text, so ids that differ only in
 * characters the file system cannot hold, or only in case, never share a folder.
 * An entry's file name is the SHA-256 of its key in hex, split into 256
 * shards so no folder holds more than a few hundred files per 100,000 entries.
 */
export interface VersionLayout {
  /** The folder of every version of the function. */
  readonly functionDir: string;
  /** The folder name of this version inside `functionDir`. */
  readonly versionName: string;
  /** The folder of this version (this source hash). */
  readonly versionDir: string;
  /** The parent of the 256 shard folders. */
  readonly entriesDir: string;
  /** The folder of being-calculated marks. */
  readonly marksDir: string;
  /** The file whose modification time says when this version was last used. */
  readonly usedStamp: string;
  /** The readable description of this version: see {@link VersionManifest}. */
  readonly manifest: string;
}

/**
 * The content of a version's `manifest.json`, written by the first store of
 * each process, so a cache folder says which function it belongs to without
 * any tool (its folder names are slugs and hashes).
 */
export interface VersionManifest {
  /** The function's cache id (`project:module/path.ts#qualifiedName`, or its `id` option). */
  readonly functionId: string;
  /** The project and module that declare the function (`my-app:src/prices.ts`), when the id names one. */
  readonly sourceFile: string | null;
  /** The function's (qualified) name, when the id names one. */
  readonly functionName: string | null;
  /** The hash of the function's source these entries belong to. */
  readonly sourceHash: string;
  /** After how many milliseconds an entry is stale; `null`: never. */
  readonly staleAfterMs: number | null;
  /** Whether stale entries are served while being refreshed. */
  readonly nextTime: boolean;
  /** When a process last wrote this manifest (ISO 8601). */
  readonly writtenAt: string;
}

/** Prefix of folders being deleted; anything named so may be removed by any process. */
export const TRASH_PREFIX = '.trash-';

/** Suffix of files being written; never read as entries or marks. */
const TEMP_SUFFIX = '.tmp';

const MARK_SUFFIX = '.mark';
/** The name of each version folder's {@link VersionManifest} file. */
export const MANIFEST_NAME = 'manifest.json';
const ENTRY_NAME = /^[0-9a-f]{62}$/;
const UNSAFE_CHARACTERS = /[^A-Za-z0-9._-]+/g;
const SLUG_LENGTH = 48;
/** What {@link safeName} answers: a slug and 16 hex digits. */
const SAFE_NAME = /^[A-Za-z0-9._-]{0,48}-[0-9a-f]{16}$/;

/** Whether a folder name is one the core gives a function or a version ({@link versionLayout}). */
export function isLayoutName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.startsWith('.');
}

/** A folder name for any text: readable, portable, and distinct for distinct texts. */
function safeName(text: string): string {
  const slug = text
    .replace(UNSAFE_CHARACTERS, '_')
    .replace(/^[._]+/, '')
    .slice(0, SLUG_LENGTH);
  return `${slug}-${nodeCrypto().hash('sha256', text, 'hex').slice(0, 16)}`;
}

/** The folders and files of one function version under `cacheDir`. */
export function versionLayout(cacheDir: string, functionId: string, sourceHash: string): VersionLayout {
  const functionDir = join(cacheDir, safeName(functionId));
  const versionName = safeName(sourceHash);
  const versionDir = join(functionDir, versionName);
  return {
    functionDir,
    versionName,
    versionDir,
    entriesDir: join(versionDir, 'entries'),
    marksDir: join(versionDir, 'marks'),
    usedStamp: join(versionDir, 'used'),
    manifest: join(versionDir, MANIFEST_NAME),
  };
}

/** The paths that belong to one key. */
export interface KeyPaths {
  /** The entry file. */
  readonly entry: string;
  /** The shard folder holding the entry file. */
  readonly shard: string;
  /** The being-calculated mark file. */
  readonly mark: string;
  /** The mark's file name inside the marks folder, as file events report it. */
  readonly markName: string;
}

// The 256 shard folder paths of each version, built once: a hit looks its
// folder up among the checked ones, and a path built anew each time would be
// copied and hashed for that lookup on every call.
const shardFolders = new WeakMap<VersionLayout, Map<string, string>>();

function shardFolder(layout: VersionLayout, prefix: string): string {
  let folders = shardFolders.get(layout);
  if (!folders) {
    folders = new Map();
    shardFolders.set(layout, folders);
  }
  let folder = folders.get(prefix);
  if (folder === undefined) {
    // The folders are normalized already and the names are hex: concatenation
    // gives what `join` would, without its normalizing pass.
    folder = layout.entriesDir + sep + prefix;
    folders.set(prefix, folder);
  }
  return folder;
}

/** The entry and mark paths of `key`. */
export function keyPaths(layout: VersionLayout, key: string): KeyPaths {
  const name = nodeCrypto().hash('sha256', key, 'hex');
  const markName = name + MARK_SUFFIX;
  const shard = shardFolder(layout, name.slice(0, 2));
  return { entry: shard + sep + name.slice(2), shard, mark: layout.marksDir + sep + markName, markName };
}

/** Whether a file name in a shard folder is an entry (not a temp file or a stranger's file). */
export function isEntryName(name: string): boolean {
  return ENTRY_NAME.test(name);
}

/** Whether a file name in the marks folder is a mark. */
/** The entry's name (the SHA-256 of its key, as its shard and file name) of a mark's file name. */
export function entryNameOfMark(markName: string): string {
  return markName.slice(0, -MARK_SUFFIX.length);
}

export function isMarkName(name: string): boolean {
  return name.endsWith(MARK_SUFFIX);
}

/** Whether a file name is a temporary file's, being written or left by a killed writer. */
export function isTempName(name: string): boolean {
  return name.endsWith(TEMP_SUFFIX);
}

/** A path next to `target` for writing before renaming into place; unique per writer. */
export function tempPathFor(target: string, unique: string): string {
  return `${target}.${unique}${TEMP_SUFFIX}`;
}
