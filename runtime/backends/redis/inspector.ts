import { lazyClient } from '../shared/connection.js';
import { loadPeer, type CacheInspector, type InspectorOptions } from '../shared/inspection.js';
import { recordInspector, type StoredRecord } from '../shared/record-inspector.js';
import { asRedisClient, scan, type RedisArgument, type RedisClient } from './client.js';
import { ENTRY_HEADER_BYTES, computedAtOfHeader, decodeEntry, escapeGlob } from './entries.js';
import { ALL_KEYS, entryKey, functionPrefix, markKey, parseKey, versionPrefix } from './keys.js';

interface RedisRecord extends StoredRecord {
  readonly entryName: string;
  readonly markName: string;
}

/** Keys read per batch of pipelined commands. */
const BATCH = 500;

/** Deletes the entry KEYS[1] if it was still computed before ARGV[1] and its key KEYS[2] is not being recomputed. */
const DROP_STALE = `
local head = redis.call('GETRANGE', KEYS[1], 0, 7)
if string.len(head) < 8 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if struct.unpack('>d', head) >= tonumber(ARGV[1]) then return 0 end
return redis.call('DEL', KEYS[1])`;

/** Deletes KEYS[1] if it still holds exactly ARGV[1]. */
const DROP_IF_SAME = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

async function unlinkAll(redis: RedisClient, names: readonly string[]): Promise<number> {
  let removed = 0;
  for (let start = 0; start < names.length; start += BATCH)
    removed += Number(await redis.call('UNLINK', ...names.slice(start, start + BATCH)));
  return removed;
}

/** `redis://user:secret@host` without the secret. */
const withoutSecret = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/** `host:port/db` of an ioredis client handed by a config file. */
function describeClient(client: RedisClient): string {
  const settings = (client as { options?: { host?: string; port?: number; db?: number } }).options;
  return settings?.host ? `${settings.host}:${settings.port ?? 6379}/${settings.db ?? 0}` : 'the client of the redis option';
}

/**
 * The redis backend's inspector: SCANs the key layout of `keys.ts`, reads
 * each entry's size and `computedAt` (its first 8 bytes) and each mark's
 * owner and time to live, in pipelined batches. Entries carry no policy, so
 * stale entries are counted and pruned only with `--stale-after`.
 */
export async function openInspector(options: InspectorOptions): Promise<CacheInspector> {
  const redis = await lazyClient(options['redis'], asRedisClient)();
  const server = typeof options['address'] === 'string' ? withoutSecret(options['address']) : describeClient(redis);
  const evaluate = (script: string, keys: string[], args: RedisArgument[]): Promise<unknown> =>
    redis.call('EVAL', script, keys.length, ...keys, ...args);

  async function list(): Promise<RedisRecord[]> {
    const records = new Map<string, RedisRecord>();
    const names = await scan(redis, ALL_KEYS);
    for (let start = 0; start < names.length; start += BATCH) {
      const batch = names.slice(start, start + BATCH).flatMap((name) => {
        const parsed = parseKey(name);
        return parsed ? [{ name, ...parsed }] : [];
      });
      // Sent together, so the client pipelines them: one round trip per batch, not per key.
      const read = await Promise.all(
        batch.map(async (item) => {
          const [first, second] = await (item.kind === 'entry'
            ? Promise.all([redis.call('STRLEN', item.name), redis.callBuffer('GETRANGE', item.name, 0, ENTRY_HEADER_BYTES - 1)])
            : Promise.all([redis.call('GET', item.name), redis.call('PTTL', item.name)]));
          return { item, first, second };
        }),
      );
      const now = Date.now();
      for (const found of read) {
        const { functionId, sourceHash, key } = found.item;
        const version = versionPrefix(functionId, sourceHash);
        const id = `${version}${key}`;
        const record: RedisRecord = records.get(id) ?? {
          functionId,
          sourceHash,
          key,
          hasEntry: false,
          bytes: 0,
          computedAt: null,
          mark: undefined,
          entryName: entryKey(version, key),
          markName: markKey(version, key),
        };
        if (found.item.kind === 'entry') {
          const length = Number(found.first);
          // A key that expired between SCAN and STRLEN answers 0.
          if (length === 0) continue;
          records.set(id, {
            ...record,
            hasEntry: true,
            bytes: Math.max(0, length - ENTRY_HEADER_BYTES),
            computedAt: computedAtOfHeader(found.second as Buffer),
          });
        } else if (typeof found.first === 'string') {
          const ttl = Number(found.second);
          records.set(id, { ...record, mark: { owner: found.first, leaseEnd: ttl > 0 ? now + ttl : Infinity } });
        }
      }
    }
    return [...records.values()];
  }

  return recordInspector<RedisRecord>({
    backend: 'redis',
    description: `redis ${server}`,
    locationOf: (functionId, sourceHash) =>
      `${sourceHash === undefined ? functionPrefix(functionId) : versionPrefix(functionId, sourceHash)}*`,
    targetOf: (record) => record.entryName,
    list,
    clearEntries: async (functionId) => (await unlinkAll(redis, await scan(redis, `${escapeGlob(functionPrefix(functionId))}*:e:*`))) > 0,
    dropVersion: async (functionId, sourceHash) =>
      (await unlinkAll(redis, await scan(redis, `${escapeGlob(versionPrefix(functionId, sourceHash))}*`))) > 0,
    dropStaleEntry: async (record, cutoff) => Number(await evaluate(DROP_STALE, [record.entryName, record.markName], [cutoff])) === 1,
    // A mark whose time to live ran out is gone already: Redis expires it.
    dropExpiredMark: async () => false,
    async problemOf(record) {
      const stored = await redis.callBuffer('GET', record.entryName);
      return decodeEntry(stored) === 'unreadable' ? 'its value cannot be deserialized' : undefined;
    },
    async dropUnreadable(record) {
      const stored = (await redis.callBuffer('GET', record.entryName)) as Buffer | null;
      if (stored === null || decodeEntry(stored) !== 'unreadable') return false;
      return Number(await evaluate(DROP_IF_SAME, [record.entryName], [stored])) === 1;
    },
    // The command owns its process: the client it was handed is closed, so it exits promptly.
    close: async () => (redis as RedisClient & { disconnect?: () => void }).disconnect?.(),
  });
}

/** Options reaching the Redis server at `url` (`--redis <url>`) through ioredis, an optional peer. */
export async function optionsForAddress(url: string): Promise<InspectorOptions> {
  const { Redis } = await loadPeer<{
    Redis: new (url: string, options: object) => RedisClient & { on(event: 'error', listener: () => void): unknown };
  }>('ioredis', 'redis');
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout: 30_000, lazyConnect: false });
  client.on('error', () => undefined);
  return { backend: 'redis', redis: client, address: url };
}
