import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

const FORMAT = 1;
/** 14 days, in ms. */
const STALE_ENTRY_MS = 14 * 24 * 60 * 60 * 1000;

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

  /** @param folder - the store's folder for this engine: entries of other engines are its siblings. */
  constructor(readonly folder: string) {}

  /** The entry stored under `key`, or `undefined`. */
  read(key: string): StoredTransform | undefined {
    const pending = this.pending.get(key);
    if (pending) return pending;
    try {
      const entry = JSON.parse(readFileSync(this.pathOf(key), 'utf8')) as StoredTransform & { format?: number };
      return entry.format === FORMAT ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores `entry` under `key` at the end of the current turn of the event
   * loop (or at exit), so a rewrite and the source map a tool then asks for
   * are written once, outside the tool's transform call. Answers from
   * {@link read} see it at once.
   */
  write(key: string, entry: StoredTransform): void {
    if (this.pending.size === 0) {
      setImmediate(() => this.flush());
      if (!this.flushesAtExit) {
        this.flushesAtExit = true;
        process.once('exit', () => this.flush());
      }
    }
    this.pending.set(key, entry);
  }

  /** Writes every entry not yet written: each whole, then renamed, so a reader in another process sees the old entry or the new one. */
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
    for (const [key, entry] of entries) {
      const path = this.pathOf(key);
      const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      try {
        writeFileSync(temporary, JSON.stringify({ format: FORMAT, ...entry }));
        renameSync(temporary, path);
      } catch {
        try {
          rmSync(temporary, { force: true });
        } catch {}
      }
    }
  }

  private pathOf(key: string): string {
    return join(this.folder, `${createHash('sha1').update(key).digest('hex')}.json`);
  }

  /**
   * Entries of another engine (an upgrade, a rebuilt checkout) can never be
   * used again, and entries not written for 14 days are most likely of
   * renamed or deleted modules: removed at the first write of a process (a
   * module still there is rewritten once).
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
