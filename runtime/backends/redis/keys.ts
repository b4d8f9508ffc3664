/**
 * The redis backend's key layout, for function id F and source hash H (both
 * URI-encoded, so no id or hash reaches into another's keys: an id holding
 * "}:" would otherwise extend another id's prefix) and key K:
 *
 * ```
 * cachier:{F}:H:e:K   entry
 * cachier:{F}:H:m:K   being-calculated mark; also the channel that wakes waiters
 * cachier:{F}:H:u      bounded caches only: sorted set of keys by last use (epoch ms)
 * cachier:{F}:H:s      bounded caches only: hash of keys to their entries' bytes
 * cachier:{F}:H:t      bounded caches only: the total of those bytes
 * ```
 *
 * The braces make F a cluster hash tag, so a function's keys share a slot.
 */

/** The prefix of every key of one function, every source hash. */
export function functionPrefix(functionId: string): string {
  return `cachier:{${encodeURIComponent(functionId)}}:`;
}

/** The prefix of every key of one function's source hash. */
export function versionPrefix(functionId: string, sourceHash: string): string {
  return `${functionPrefix(functionId)}${encodeURIComponent(sourceHash)}:`;
}

/** The entry of `key` under a {@link versionPrefix}. */
export const entryKey = (version: string, key: string): string => `${version}e:${key}`;

/** The mark of `key` under a {@link versionPrefix}. */
export const markKey = (version: string, key: string): string => `${version}m:${key}`;

/** The indexes of a bounded cache under a {@link versionPrefix}: recency sorted set, sizes hash, total bytes. */
export const boundsKeys = (version: string): [recency: string, sizes: string, total: string] => [
  `${version}u`,
  `${version}s`,
  `${version}t`,
];

/** A SCAN MATCH pattern of every key cachier writes. */
export const ALL_KEYS = 'cachier:{*';

const KEY_NAME = /^cachier:\{([^{}]*)\}:([^:]*):([em]):(.*)$/s;

/** What a key names, or `undefined` for a key not in the layout. */
export function parseKey(name: string): { functionId: string; sourceHash: string; kind: 'entry' | 'mark'; key: string } | undefined {
  const match = KEY_NAME.exec(name);
  if (!match) return undefined;
  try {
    const [, functionId = '', sourceHash = '', kind, key = ''] = match;
    return {
      functionId: decodeURIComponent(functionId),
      sourceHash: decodeURIComponent(sourceHash),
      kind: kind === 'e' ? 'entry' : 'mark',
      key,
    };
  } catch {
    return undefined;
  }
}
