import { ownerOfToken } from './claims.js';
import {
  sourceFileOf,
  sum,
  type CacheInspector,
  type EntryInfo,
  type FunctionInfo,
  type MarkInfo,
  type Removal,
  type VersionInfo,
} from './inspection.js';

/**
 * One key of a server backend (mongo, redis, postgres, s3) as its inspector
 * lists it: a document, a pair of Redis keys, a row, a pair of objects.
 */
export interface StoredRecord {
  readonly functionId: string;
  readonly sourceHash: string;
  readonly key: string;
  /** Whether it holds an entry; a record may hold only a being-calculated mark. */
  readonly hasEntry: boolean;
  /** Bytes of the stored value (0 without an entry). */
  readonly bytes: number;
  /** When its entry was computed (epoch ms), `null` without one or when unreadable. */
  readonly computedAt: number | null;
  /** The being-calculated mark on the key: its owner's claim token and when its lease ends (epoch ms). */
  readonly mark: { readonly owner: string; readonly leaseEnd: number } | undefined;
}

/**
 * What a server backend's inspector reads and removes, in the backend's own
 * layout. Every removal re-checks on the server what the plan saw (a stale
 * entry is still stale, a mark still expired), so a key rewritten since the
 * plan stays.
 */
export interface RecordStore<R extends StoredRecord> {
  readonly backend: string;
  /** Says where the caches are, e.g. `redis redis://host:6379`. */
  readonly description: string;
  /** Where one function (and one of its versions) is kept, e.g. a key prefix. */
  locationOf(functionId: string, sourceHash?: string): string;
  /** What a removal of `record` names: a key, a filter, an object. */
  targetOf(record: R): string;
  /** Every record of every function. */
  list(): Promise<R[]>;
  /** Removes the entries of `records` (one function, every version); marks stay, their owners store when done. */
  clearEntries(functionId: string, records: readonly R[]): Promise<boolean>;
  /** Removes every record of one old version. */
  dropVersion(functionId: string, sourceHash: string, records: readonly R[]): Promise<boolean>;
  /** Removes the entry of `record` if it is still computed before `cutoff` (epoch ms) and not being recomputed. */
  dropStaleEntry(record: R, cutoff: number): Promise<boolean>;
  /** Removes the mark of `record` if it is still the same one and expired. */
  dropExpiredMark(record: R): Promise<boolean>;
  /** Reads the entry's value as the core would: why it cannot be served, or `undefined`. */
  problemOf(record: R): Promise<string | undefined>;
  /** Removes the unreadable entry of `record` if it was not rewritten since. */
  dropUnreadable(record: R): Promise<boolean>;
  close(): Promise<void>;
}

const isStale = (record: StoredRecord, staleAfterMs: number | undefined, now: number): boolean | null =>
  staleAfterMs === undefined || record.computedAt === null ? null : now - record.computedAt > staleAfterMs;

/**
 * An inspector over a {@link RecordStore}. Server backends hold no function's
 * options, so an entry is stale only by `--stale-after`; a version's last
 * use is its newest entry, and the version used last is the current one.
 */
export function recordInspector<R extends StoredRecord>(store: RecordStore<R>): CacheInspector {
  const byFunction = new Map<string, Map<string, R[]>>();
  let readAt = Date.now();

  function summarize(functionId: string, sourceHash: string, records: readonly R[], staleAfterMs: number | undefined): VersionInfo {
    const entries = records.filter((record) => record.hasEntry);
    const times = entries.flatMap((record) => (record.computedAt === null ? [] : [record.computedAt]));
    const marks: MarkInfo[] = records.flatMap((record) => {
      if (!record.mark) return [];
      const leaseLeftMs = Math.max(0, record.mark.leaseEnd - readAt);
      return [{ key: record.key, ...ownerOfToken(record.mark.owner), live: leaseLeftMs > 0, leaseLeftMs }];
    });
    const newest = times.length > 0 ? Math.max(...times) : null;
    return {
      sourceHash,
      location: store.locationOf(functionId, sourceHash),
      current: false,
      lastUsed: newest,
      entries: entries.length,
      bytes: sum(entries.map((record) => record.bytes)),
      oldest: times.length > 0 ? Math.min(...times) : null,
      newest,
      stale: staleAfterMs === undefined ? null : entries.filter((record) => isStale(record, staleAfterMs, readAt)).length,
      staleAfterMs: staleAfterMs ?? null,
      marks,
      leftovers: 0,
    };
  }

  const versionsOf = (fn: FunctionInfo): Map<string, R[]> => byFunction.get(fn.id) ?? new Map();

  return {
    description: store.description,

    async functions(staleAfterMs) {
      byFunction.clear();
      const records = await store.list();
      readAt = Date.now();
      for (const record of records) {
        let versions = byFunction.get(record.functionId);
        if (!versions) {
          versions = new Map();
          byFunction.set(record.functionId, versions);
        }
        const list = versions.get(record.sourceHash) ?? [];
        list.push(record);
        versions.set(record.sourceHash, list);
      }
      return [...byFunction.keys()].sort().map((id): FunctionInfo => {
        const versions = [...(byFunction.get(id) ?? new Map<string, R[]>())]
          .map(([sourceHash, list]) => summarize(id, sourceHash, list, staleAfterMs))
          .sort((a, b) => (b.lastUsed ?? 0) - (a.lastUsed ?? 0))
          .map((version, index) => ({ ...version, current: index === 0 }));
        return { id, location: store.locationOf(id), sourceFile: sourceFileOf(id), backend: store.backend, versions };
      });
    },

    async entries(fn, staleAfterMs) {
      const entries: EntryInfo[] = [];
      for (const [sourceHash, records] of versionsOf(fn)) {
        for (const record of records) {
          if (!record.hasEntry) continue;
          entries.push({
            key: record.key,
            sourceHash,
            computedAt: record.computedAt,
            bytes: record.bytes,
            stale: isStale(record, staleAfterMs, readAt),
          });
        }
      }
      return entries;
    },

    async clearPlan(functions) {
      return functions.flatMap((fn): Removal[] => {
        const records = [...versionsOf(fn).values()].flat().filter((record) => record.hasEntry);
        if (records.length === 0) return [];
        return [
          {
            kind: 'entries',
            functionId: fn.id,
            target: store.locationOf(fn.id),
            entries: records.length,
            bytes: sum(records.map((record) => record.bytes)),
            remove: () => store.clearEntries(fn.id, records),
          },
        ];
      });
    },

    async prunePlan(functions, policy) {
      const removals: Removal[] = [];
      const now = Date.now();
      for (const fn of functions) {
        fn.versions.forEach((version, index) => {
          const sourceHash = version.sourceHash ?? '';
          const records = versionsOf(fn).get(sourceHash) ?? [];
          const unused = version.lastUsed === null || now - version.lastUsed > policy.unusedForMs;
          // An old version holding no entry (after a clear) frees nothing: it is not listed.
          if (index > 0 && unused && version.entries > 0) {
            removals.push({
              kind: 'old version',
              functionId: fn.id,
              target: store.locationOf(fn.id, sourceHash),
              entries: version.entries,
              bytes: version.bytes,
              remove: () => store.dropVersion(fn.id, sourceHash, records),
            });
            return;
          }
          for (const record of records) {
            if (record.hasEntry && isStale(record, policy.staleAfterMs, now)) {
              const cutoff = now - (policy.staleAfterMs ?? 0);
              removals.push({
                kind: 'stale entry',
                functionId: fn.id,
                target: store.targetOf(record),
                entries: 1,
                bytes: record.bytes,
                remove: () => store.dropStaleEntry(record, cutoff),
              });
            }
            if (record.mark && record.mark.leaseEnd <= now) {
              removals.push({
                kind: 'expired mark',
                functionId: fn.id,
                target: store.targetOf(record),
                entries: 0,
                bytes: 0,
                remove: () => store.dropExpiredMark(record),
              });
            }
          }
        });
      }
      return removals;
    },

    async verifyPlan(functions, onRead) {
      const removals: Removal[] = [];
      for (const fn of functions) {
        for (const records of versionsOf(fn).values()) {
          for (const record of records) {
            if (!record.hasEntry) continue;
            onRead();
            const problem = await store.problemOf(record);
            if (problem === undefined) continue;
            removals.push({
              kind: 'unreadable entry',
              functionId: fn.id,
              target: store.targetOf(record),
              entries: 1,
              bytes: record.bytes,
              problem,
              remove: () => store.dropUnreadable(record),
            });
          }
        }
      }
      return removals;
    },

    close: () => store.close(),
  };
}
