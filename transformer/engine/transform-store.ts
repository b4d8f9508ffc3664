import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How a recorded path is checked again: `text` by its content and the module
 * path and project it gives a function's id, `exists` by whether it is a file
 * (a resolution tried it), `manifest` by its content (a package's version, a
 * config), `listing` by the names in the folder.
 */
export type ProbeKind = 'text' | 'exists' | 'manifest' | 'listing';

/** A recorded path and what it was when the entry was made. */
export type Stamp = readonly [path: string, kind: ProbeKind, value: string];

/** What a stored rewrite holds: enough to answer the same result without parsing anything. */
export interface StoredTransform {
  /** Hash of the text the tags were read from (the module, or the TypeScript source of emitted JavaScript). */
  readonly source: string;
  /** Hash of the text rewritten (differs from `source` for emitted JavaScript). */
  readonly input: string;
  /** Every path the tagged functions' source hashes and ids depend on, as it was. */
  readonly stamps: readonly Stamp[];
  /** The files behind the module's source hashes, for the tool's watcher. */
  readonly behind: readonly string[];
  /** The engine's answer, in JSON: facts, diagnostics and text edits. */
  readonly result: unknown;
}

/** 2: stamps and files behind as indexes into a table of stamps written once per flush (1 held each entry's own list). */
const FORMAT = 2;
/**
 * How long an entry waits to be written, in ms: tools transform modules in
 * many turns of the event loop (`cachier-tsc` one at a time while `tsc` runs),
 * and the entries written together share a stamp table.
 */
const FLUSH_DELAY_MS = 100;
/** 14 days, in ms. */
const STALE_ENTRY_MS = 14 * 24 * 60 * 60 * 1000;
/** The names of the stamp tables among the entries (an entry's name is 40 hex digits). */
const TABLE_PREFIX = 'stamps-';
/** A table's name: the sha1 of its text, in hex. */
const TABLE_NAME = /^[0-9a-f]{40}$/;

/**
 * An entry as written: its stamps and files behind are indexes into the
 * stamp table named `table`, which the entries of one flush share. The
 * entries of a build cover mostly the same files (on a project of 300 modules
 * each entry's source hashes can depend on most of them): the table holds
 * each path and stamp once, instead of once per entry.
 */
interface EntryOnDisk {
  readonly format: number;
  readonly source: string;
  readonly input: string;
  readonly table: string;
  readonly stamps: readonly number[];
  readonly behind: readonly number[];
  readonly result: unknown;
}

/** A stamp table as written: the paths, then each stamp as the index of its path, its kind and its value. */
interface TableOnDisk {
  readonly format: number;
  readonly paths: readonly string[];
  readonly stamps: readonly (readonly [path: number, kind: ProbeKind, value: string])[];
}

/** A stamp table as read: the same {@link Stamp} objects for every entry that uses them, so a graph checks each once. */
interface StampTable {
  readonly paths: readonly string[];
  readonly stamps: readonly Stamp[];
}

/**
 * Rewrites kept on disk between builds, under the project's
 * `node_modules/.cache/cachier/transforms/` (the folder `find-cache-dir`
 * gives, which babel-loader, ESLint and Vite's plugins use), so a build whose
 * modules did not change reads each tagged module's rewrite instead of
 * parsing and hashing the project again. An entry is used only when every
 * file its source hashes depend on is unchanged (content, module path and
 * project name, package versions, resolution probes), and only by the same
 * engine (the hash of its own code and of oxc-parser's version): a cached
 * rewrite is never a different rewrite.
 *
 * Best effort: a folder that cannot be written or an entry that cannot be read
 * is a miss, never an error. `CACHIER_TRANSFORM_CACHE=off` turns it off;
 * `CACHIER_TRANSFORM_CACHE=<folder>` puts it in `<folder>/transforms/`.
 */
export class TransformStore {
  private pruned = false;
  /** Entries stored but not yet written, by key. */
  private readonly pending = new Map<string, StoredTransform>();
  private flushesAtExit = false;
  /** The stamp tables read, by name: a table's name is the hash of its content, so it never changes. */
  private readonly tables = new Map<string, StampTable | undefined>();

  /** @param folder - the store's folder for this engine: entries of other engines are its siblings. */
  constructor(readonly folder: string) {}

  /** The entry stored under `key`, or `undefined`. */
  read(key: string): StoredTransform | undefined {
    const pending = this.pending.get(key);
    if (pending) return pending;
    const entry = this.readJson<EntryOnDisk>(this.pathOf(key));
    const table = entry && this.table(entry.table);
    if (!entry || !table) return undefined;
    // Indexes the table does not have (an entry altered by hand) make a miss, like an unreadable entry.
    const stamps = valuesAt(table.stamps, entry.stamps);
    const behind = valuesAt(table.paths, entry.behind);
    return stamps && behind ? { source: entry.source, input: entry.input, stamps, behind, result: entry.result } : undefined;
  }

  private table(name: string): StampTable | undefined {
    if (!this.tables.has(name)) {
      const table = TABLE_NAME.test(name) ? this.readJson<TableOnDisk>(join(this.folder, `${TABLE_PREFIX}${name}.json`)) : undefined;
      const rows = Array.isArray(table?.stamps) ? table.stamps : [];
      const paths = Array.isArray(table?.paths) ? table.paths : [];
      const stamps = rows.map((row) =>
        Array.isArray(row) && typeof paths[row[0]] === 'string' ? ([paths[row[0]], row[1], row[2]] as Stamp) : undefined,
      );
      this.tables.set(name, table && stamps.every(Boolean) ? { paths, stamps: stamps as Stamp[] } : undefined);
    }
    return this.tables.get(name);
  }

  /** The file at `path` as JSON when it is of this format; `undefined` when missing, unreadable or of another format. */
  private readJson<T extends { readonly format: number }>(path: string): T | undefined {
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as T;
      return value.format === FORMAT ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores `entry` under `key` within {@link FLUSH_DELAY_MS} (or at exit), so
   * a rewrite and the source map a tool then asks for are written once,
   * outside the tool's transform call, and the entries of many transform
   * calls share one stamp table. Answers from {@link read} see it at once.
   */
  write(key: string, entry: StoredTransform): void {
    if (this.pending.size === 0) {
      // Unref'd: a tool that is done exits at once, and its entries are written at exit.
      setTimeout(() => this.flush(), FLUSH_DELAY_MS).unref();
      if (!this.flushesAtExit) {
        this.flushesAtExit = true;
        process.once('exit', () => this.flush());
      }
    }
    this.pending.set(key, entry);
  }

  /**
   * Writes every entry not yet written, after the stamp table they share: each
   * file whole, then renamed, so a reader in another process sees the old file
   * or the new one, and never an entry whose table is not there yet.
   */
  flush(): void {
    const entries = [...this.pending];
    this.pending.clear();
    if (entries.length === 0) return;
    try {
      mkdirSync(this.folder, { recursive: true });
    } catch {
      return;
    }
    try {
      this.prune();
    } catch {}
    const written = withStampTable(entries);
    const text = JSON.stringify(written.table);
    const table = createHash('sha1').update(text).digest('hex');
    const tablePath = join(this.folder, `${TABLE_PREFIX}${table}.json`);
    if (!this.touch(tablePath) && !this.writeWhole(tablePath, text)) return;
    for (const [key, entry] of written.entries) this.writeWhole(this.pathOf(key), JSON.stringify({ ...entry, table }));
  }

  /** Marks an existing file as just written (pruning goes by age); `false` when there is none. */
  private touch(path: string): boolean {
    try {
      const now = new Date();
      utimesSync(path, now, now);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes `text` to `path` through a temporary file and a rename; `false` when it could not. */
  private writeWhole(path: string, text: string): boolean {
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      writeFileSync(temporary, text);
      renameSync(temporary, path);
      return true;
    } catch {
      try {
        rmSync(temporary, { force: true });
      } catch {}
      return false;
    }
  }

  private pathOf(key: string): string {
    return join(this.folder, `${createHash('sha1').update(key).digest('hex')}.json`);
  }

  /**
   * Entries of another engine (an upgrade, a rebuilt checkout) can never be
   * used again, and entries not written for 14 days are most likely of
   * renamed or deleted modules: removed at the first write of a process (a
   * module still there is rewritten once). A stamp table is touched by every
   * flush that uses it, so it is never older than an entry that points to it.
   */
  private prune(): void {
    if (this.pruned) return;
    this.pruned = true;
    const parent = dirname(this.folder);
    for (const name of readdirSync(parent))
      if (join(parent, name) !== this.folder) rmSync(join(parent, name), { recursive: true, force: true });
    const oldest = Date.now() - STALE_ENTRY_MS;
    for (const name of readdirSync(this.folder)) {
      const path = join(this.folder, name);
      if ((statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? oldest) < oldest) rmSync(path, { force: true });
    }
  }
}

/** The values of `list` at `indexes`, or `undefined` when `indexes` is not a list of indexes `list` has. */
function valuesAt<T>(list: readonly T[], indexes: unknown): T[] | undefined {
  if (!Array.isArray(indexes)) return undefined;
  const values: T[] = [];
  for (const index of indexes) {
    if (!Number.isInteger(index) || index < 0 || index >= list.length) return undefined;
    values.push(list[index] as T);
  }
  return values;
}

/** `entries` (by key) written as indexes into one table of their paths and stamps, each once. */
function withStampTable(entries: readonly (readonly [key: string, entry: StoredTransform])[]): {
  table: TableOnDisk;
  entries: (readonly [key: string, entry: Omit<EntryOnDisk, 'table'>])[];
} {
  const paths = new Map<string, number>();
  const stamps = new Map<string, number>();
  const rows: [number, ProbeKind, string][] = [];
  const pathIndex = (path: string): number => {
    let index = paths.get(path);
    if (index === undefined) {
      index = paths.size;
      paths.set(path, index);
    }
    return index;
  };
  const stampIndex = ([path, kind, value]: Stamp): number => {
    const key = `${kind}\u0000${value}\u0000${path}`;
    let index = stamps.get(key);
    if (index === undefined) {
      index = rows.length;
      rows.push([pathIndex(path), kind, value]);
      stamps.set(key, index);
    }
    return index;
  };
  return {
    entries: entries.map(([key, entry]) => [
      key,
      {
        format: FORMAT,
        source: entry.source,
        input: entry.input,
        stamps: entry.stamps.map(stampIndex),
        behind: entry.behind.map(pathIndex),
        result: entry.result,
      },
    ]),
    table: { format: FORMAT, paths: [...paths.keys()], stamps: rows },
  };
}

let engineStamp: string | null | undefined;

/**
 * The hash of this engine's own code (its compiled files and the identity
 * rules it uses, or the package's bundled chunks that hold them) and of the
 * parser's version; `null` when the engine runs from neither (bundled into a
 * tool's config), so no stored rewrite can be matched to it.
 */
function stampOfEngine(): string | null {
  if (engineStamp === undefined) {
    try {
      engineStamp = hashOfEngineFiles();
    } catch {
      engineStamp = null;
    }
  }
  return engineStamp;
}

function hashOfEngineFiles(): string {
  const digest = createHash('sha1');
  const self = fileURLToPath(import.meta.url);
  const engineDir = dirname(self);
  const files = engineFiles(self).sort();
  for (const file of files) digest.update(file.slice(engineDir.length)).update(readFileSync(file));
  digest.update(parserVersion());
  return digest.digest('hex').slice(0, 16);
}

/** A chunk of the package's bundled routes (`scripts/bundle.mjs`): `dist/transformer/chunk-<hash>.js`. */
const ROUTE_CHUNK = /^chunk-[A-Z0-9]+\.js$/;

/** The files that hold the engine's code, beginning from this module's own file. */
function engineFiles(self: string): string[] {
  const folder = dirname(self);
  const filesOf = (dir: string, holdsCode: (name: string) => boolean): string[] =>
    readdirSync(dir)
      .filter(holdsCode)
      .map((name) => join(dir, name));
  // Bundled with the routes: the chunks hold the engine, the identity rules and the option catalog.
  if (basename(folder) === 'transformer' && ROUTE_CHUNK.test(basename(self))) return filesOf(folder, (name) => ROUTE_CHUNK.test(name));
  // `.js` in the package; `.ts` where the sources run as they are (this repository's tests).
  const extension = extname(self);
  const ownKind = (name: string): boolean => name.endsWith(extension);
  const runtimeDir = join(folder, '../../runtime');
  return [...filesOf(folder, ownKind), join(runtimeDir, `project-identity${extension}`), ...filesOf(join(runtimeDir, 'options'), ownKind)];
}

function parserVersion(): string {
  const requires = [createRequire(import.meta.url), createRequire(join(process.cwd(), 'package.json'))];
  for (const require of requires) {
    try {
      return (require('oxc-parser/package.json') as { version: string }).version;
    } catch {}
  }
  return 'none';
}

/**
 * The store of the project the tool runs in (`process.cwd()`): under the
 * `node_modules` folder beside its nearest `package.json`, or where
 * `CACHIER_TRANSFORM_CACHE` says; `undefined` when turned off, when the
 * project has no `node_modules` folder (nothing is created outside it), or
 * when the engine was bundled away from its files.
 */
export function projectTransformStore(cwd: string = process.cwd()): TransformStore | undefined {
  const setting = process.env['CACHIER_TRANSFORM_CACHE'];
  if (setting !== undefined && /^(?:off|0|false|no)$/i.test(setting)) return undefined;
  // Only the `transforms` folder is the store's: it removes what it finds there.
  const root = setting ? join(setting, 'transforms') : nodeModulesCache(cwd);
  const engine = root ? stampOfEngine() : null;
  return root && engine ? new TransformStore(join(root, engine)) : undefined;
}

function nodeModulesCache(cwd: string): string | undefined {
  for (let directory = cwd; ; directory = dirname(directory)) {
    if (isFile(join(directory, 'package.json'))) {
      const nodeModules = join(directory, 'node_modules');
      return isDirectory(nodeModules) ? join(nodeModules, '.cache/cachier/transforms') : undefined;
    }
    if (dirname(directory) === directory) return undefined;
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** A short hash of a text, as stamps and entries record it. */
export function textHash(text: string): string {
  return createHash('sha1').update(text).digest('base64url');
}
