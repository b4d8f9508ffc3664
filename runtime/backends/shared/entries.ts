import type { ClaimResult, CoreLog, StoredEntry } from '../../core.js';

/**
 * The entry a backend decoded, or `undefined` with a `CACHIER_UNREADABLE_ENTRY`
 * warning when its stored bytes could not be read: such an entry counts as
 * missing and is replaced when recomputed.
 */
export function readableEntry(entry: StoredEntry | undefined | 'unreadable', server: string, log: CoreLog): StoredEntry | undefined {
  if (entry !== 'unreadable') return entry;
  log.warn(`an entry in ${server} could not be read and counts as missing; it is replaced when recomputed`, 'CACHIER_UNREADABLE_ENTRY');
  return undefined;
}

/** A successful claim, handing back the entry read while claiming when there is a readable one. */
export function claimedWith(token: string, current: StoredEntry | undefined | 'unreadable'): ClaimResult {
  return current === undefined || current === 'unreadable' ? { claimed: true, token } : { claimed: true, token, current };
}
