import { CachierError } from '../../errors.js';

/*
 * What an inspector tells about a backend's caches, the same for every
 * backend: each persistent backend's `inspector.ts` answers in these shapes,
 * built on its own layout, codec and claim format, and the `cachier` command
 * only prints them.
 */

/** A being-calculated mark. */
export interface MarkInfo {
  /** The key's file name (file backend) or key (the other backends). */
  readonly key: string;
  readonly pid: number | null;
  readonly host: string | null;
  /** Whether it still holds its key (lease running and, on this host, owner alive). */
  readonly live: boolean;
  /** Milliseconds of lease left; 0 for a dead mark. */
  readonly leaseLeftMs: number;
}

/** One source-hash version of a function's cache. */
export interface VersionInfo {
  /** The source hash, when a manifest or the backend says it; `null` otherwise. */
  readonly sourceHash: string | null;
  /** Folder (file), or where the backend keeps it (`collection sourceHash`, a key prefix, an object prefix, ...). */
  readonly location: string;
  /** The version used last; the others are old versions. */
  readonly current: boolean;
  /** Last use in epoch ms (file: its `used` stamp), or its newest entry (the other backends). */
  readonly lastUsed: number | null;
  readonly entries: number;
  readonly bytes: number;
  readonly oldest: number | null;
  readonly newest: number | null;
  /** Entries older than `staleAfterMs`; `null` when it is not known. */
  readonly stale: number | null;
  readonly staleAfterMs: number | null;
  readonly marks: readonly MarkInfo[];
  /** Files of writers killed mid-write and folders of interrupted deletes. */
  readonly leftovers: number;
}

/** One cached function and all its versions. */
export interface FunctionInfo {
  /** The function id from its manifest, or its folder name when it has none. */
  readonly id: string;
  /** The function's folder (file), or where the backend keeps it (collection, key prefix, table, object prefix). */
  readonly location: string;
  readonly sourceFile: string | null;
  /** The backend's name, as in the `backend` option. */
  readonly backend: string;
  readonly versions: readonly VersionInfo[];
}

/** One entry, as `cachier show` lists it. */
export interface EntryInfo {
  readonly key: string;
  readonly sourceHash: string | null;
  readonly computedAt: number | null;
  readonly bytes: number;
  readonly stale: boolean | null;
}

/** What a removal takes away. */
export type RemovalKind = 'entries' | 'old version' | 'stale entry' | 'expired mark' | 'leftover' | 'unreadable entry';

/** One thing `clear`, `prune` or `verify --fix` removes, decided before anything is removed. */
export interface Removal {
  readonly kind: RemovalKind;
  readonly functionId: string;
  /** The file or folder (file backend), or what the backend removes (a document filter, a key, a row, an object). */
  readonly target: string;
  readonly entries: number;
  readonly bytes: number;
  /** Why an entry is unreadable (verify). */
  readonly problem?: string;
  /**
   * Removes it, unless it changed since it was planned (a stale entry
   * rewritten fresh, a mark taken over): answers whether it removed it.
   */
  readonly remove: () => Promise<boolean>;
}

/** What `prune` removes. */
export interface PrunePolicy {
  /** Entries older than this are stale; overrides each version's manifest. */
  readonly staleAfterMs: number | undefined;
  /** Old versions not used for this long are removed. */
  readonly unusedForMs: number;
}

/** A backend's caches, as the `cachier` command reads and changes them. */
export interface CacheInspector {
  /** `file /home/me/.cachier`, `mongo mongodb://host db.collection`, `redis redis://host:6379`, ... */
  readonly description: string;
  /** Every function, with `staleAfterMs` (when given) overriding what manifests say. */
  functions(staleAfterMs: number | undefined): Promise<FunctionInfo[]>;
  /** The entries of one function, every version. */
  entries(fn: FunctionInfo, staleAfterMs: number | undefined): Promise<EntryInfo[]>;
  /** Removes every entry of these functions (their manifests stay). */
  clearPlan(functions: readonly FunctionInfo[]): Promise<Removal[]>;
  prunePlan(functions: readonly FunctionInfo[], policy: PrunePolicy): Promise<Removal[]>;
  /** Reads every entry, answering the unreadable ones; `onRead` hears each entry read. */
  verifyPlan(functions: readonly FunctionInfo[], onRead: () => void): Promise<Removal[]>;
  /** Closes the connections the inspector opened or was handed to close, so the command exits promptly. */
  close(): Promise<void>;
}

/** The sum of `values`. */
export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** Whether a function id names its module (`project:module/path.ts#name`): then that project and module. */
export function sourceFileOf(functionId: string): string | null {
  const hashAt = functionId.lastIndexOf('#');
  return hashAt > 0 ? functionId.slice(0, hashAt) : null;
}

/**
 * A folder given as a file cache root (`--dir`, `CACHIER_DIR`, `cacheDir`)
 * that is no cachier cache: the command refuses it before listing or
 * removing anything.
 */
export class NotACacheError extends CachierError {}

/**
 * Loads an optional peer dependency (a driver only users of one backend
 * install) when a command needs it.
 * @throws {@link CachierError} saying how to install it when it is missing.
 */
export async function loadPeer<T>(name: string, backend: string): Promise<T> {
  try {
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)) as T;
  } catch (error) {
    throw new MissingDriverError(
      `cannot load ${name}, the ${backend} driver (${(error as Error).message}); install it next to cachier: npm install ${name}`,
    );
  }
}

/** An optional driver a command needs is not installed. */
export class MissingDriverError extends CachierError {}

/**
 * The options the application passes to `setDefaults` (a config file's
 * default export), as far as an inspector reads them: `backend`, its
 * connection option (`redis`, `postgres`, `s3`, `mongetter`), `cacheDir`
 * and `shared`; `address` names a shell shortcut's URL in descriptions.
 */
export type InspectorOptions = Readonly<Record<string, unknown>>;

/** What a shell shortcut gives besides its address (`--s3-endpoint`, `--mongo-db`, `--mongo-collection`). */
export interface AddressDetails {
  readonly endpoint?: string | undefined;
  readonly database?: string | undefined;
  readonly collection?: string | undefined;
}

/** A backend's inspector module, loaded when a command needs that backend. */
export interface InspectorModule {
  /**
   * Opens an inspector on the caches the application reaches with
   * `options`; its `close` closes the connection, which the command owns.
   */
  openInspector(options: InspectorOptions): Promise<CacheInspector>;
  /** The options for a shell address (`--redis <url>`, ...), connected with the backend's driver, an optional peer. */
  optionsForAddress?(address: string, details: AddressDetails): Promise<InspectorOptions>;
}
