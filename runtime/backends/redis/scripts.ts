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
