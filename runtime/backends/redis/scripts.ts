/**
 * Lua scripts the redis backend runs with EVAL, each in one round trip and
 * atomically. KEYS[1] is an entry, KEYS[2] its mark; the mark's name is also
 * the channel that wakes its waiters.
 */

/** Stores ARGV[1] (PX ARGV[2] unless 0); clears the mark if ARGV[3] still owns it; wakes waiters. */
export const STORE = `
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', KEYS[2], 'stored')
return 1`;

/** Clears the mark KEYS[1] if ARGV[1] still owns it, and wakes its waiters. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) redis.call('PUBLISH', KEYS[1], 'released') end
return 1`;

/** Extends the mark KEYS[1] to ARGV[2] ms if ARGV[1] still owns it. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/** Answers the mark KEYS[2]'s remaining lease in ms (-2: none) and, once there is none, the entry KEYS[1]. */
export const LOOK = `
local left = redis.call('PTTL', KEYS[2])
if left == -2 then return { left, redis.call('GET', KEYS[1]) } end
return { left }`;

/** Deletes the mark KEYS[1] whoever owns it, and wakes its waiters. */
export const CLEAR_MARK = `
redis.call('DEL', KEYS[1]) redis.call('PUBLISH', KEYS[1], 'cleared')
return 1`;

/**
 * Claims KEYS[2] for token ARGV[1] for ARGV[2] ms unless a live mark exists;
 * when claimed, also answers the entry KEYS[1], which another machine may
 * have stored after this caller's read.
 */
export const CLAIM = `
if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then return { 1, redis.call('GET', KEYS[1]) } end
return { 0 }`;

/**
 * Deletes the entry KEYS[1] if it still starts with ARGV[1] (the bytes read
 * before deciding it was stale: its computedAt header), so an entry rewritten
 * since it was read is spared. Answers 1 if deleted.
 */
export const DELETE_IF_UNCHANGED = `
local stored = redis.call('GET', KEYS[1])
if stored and string.sub(stored, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A bounded cache's store: STORE, then the key's recency and size in the
 * version's indexes, then evictions. KEYS[3] is the recency sorted set (key
 * -> last use, epoch ms), KEYS[4] the sizes hash (key -> bytes), KEYS[5] the
 * total of the sizes. ARGV[4] the key, ARGV[5] now, ARGV[6] maxEntries and
 * ARGV[7] maxBytes (-1: none), ARGV[8] the version prefix. Evicts least
 * recently used first, never ARGV[4] nor a key with a mark; an indexed key
 * whose entry expired is dropped from the indexes without counting. Answers
 * how many entries it evicted.
 */
export const STORE_BOUNDED = `
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', KEYS[2], 'stored')
local key, maxEntries, maxBytes, version = ARGV[4], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
redis.call('ZADD', KEYS[3], ARGV[5], key)
local size = string.len(ARGV[1])
local bytes = redis.call('INCRBY', KEYS[5], size - tonumber(redis.call('HGET', KEYS[4], key) or '0'))
redis.call('HSET', KEYS[4], key, size)
local entries = redis.call('ZCARD', KEYS[3])
local evicted, skipped = 0, 0
while (maxEntries >= 0 and entries > maxEntries) or (maxBytes >= 0 and bytes > maxBytes) do
  local oldest = redis.call('ZRANGE', KEYS[3], skipped, skipped)[1]
  if not oldest then break end
  if oldest == key or redis.call('EXISTS', version .. 'm:' .. oldest) == 1 then
    skipped = skipped + 1
  else
    evicted = evicted + redis.call('DEL', version .. 'e:' .. oldest)
    redis.call('ZREM', KEYS[3], oldest)
    bytes = redis.call('INCRBY', KEYS[5], -tonumber(redis.call('HGET', KEYS[4], oldest) or '0'))
    redis.call('HDEL', KEYS[4], oldest)
    entries = entries - 1
  end
end
return evicted`;

/** A bounded cache's read: GET KEYS[1] and, when there is an entry, its recency ARGV[2] in the sorted set KEYS[2] set to ARGV[1]. */
export const GET_AND_TOUCH = `
local stored = redis.call('GET', KEYS[1])
if stored then redis.call('ZADD', KEYS[2], 'XX', ARGV[1], ARGV[2]) end
return stored`;

/** Drops ARGV[1] from a bounded cache's indexes (KEYS[1] recency, KEYS[2] sizes, KEYS[3] total): its entry was deleted. */
export const UNINDEX = `
redis.call('ZREM', KEYS[1], ARGV[1])
local size = redis.call('HGET', KEYS[2], ARGV[1])
if size then redis.call('HDEL', KEYS[2], ARGV[1]) redis.call('INCRBY', KEYS[3], -tonumber(size)) end
return 1`;
