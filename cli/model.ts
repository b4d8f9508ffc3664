/*
 * What the `cachier` command knows about caches, the same for every backend:
 * a store answers in these shapes and the commands print them.
 */

/** A being-calculated mark. */
export interface MarkInfo {
  /** The key's file name (file backend) or key (mongo). */
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
  /** Folder (file) or `collection sourceHash` (mongo) holding it. */
  readonly location: string;
  /** The version used last; the others are old versions. */
  readonly current: boolean;
  /** Last use in epoch ms (file: its `used` stamp), or the newest entry (mongo). */
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
  /** The function's folder (file) or the collection (mongo). */
  readonly location: string;
  readonly sourceFile: string | null;
  readonly backend: 'file' | 'mongo';
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
  /** The file or folder (file backend) or document filter (mongo) removed. */
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

/** A backend's caches, as the commands read and change them. */
export interface CacheStore {
  /** `file /home/me/.cachier` or `mongo mongodb://host/db.collection`. */
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
  close(): Promise<void>;
}
