import type { StoredEntry } from '../core.js';
import { parseDuration } from '../duration.js';
import { InvalidOptionError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { CallSettings } from './call-options.js';
import { isFresh } from './freshness.js';

/** An entry's shelf life in milliseconds: the function's `staleAfter`, or what its `staleAfter` function answers for the value. */
export function shelfLifeOf(options: ResolvedOptions, value: unknown): number {
  if (!options.shelfLife) return options.staleAfterMs;
  const duration = options.shelfLife(value);
  try {
    return parseDuration(duration);
  } catch (error) {
    throw new InvalidOptionError(
      'staleAfter',
      `the function given as staleAfter returned ${String(duration)}: ${(error as Error).message.replace(/^cachier: /, '')}`,
    );
  }
}

/** Whether `entry` is fresh at `now` for a call with `settings`: the call's `staleAfter` and `maxAge` win over the function's. */
export function isEntryFresh(options: ResolvedOptions, settings: CallSettings, entry: StoredEntry, now: number): boolean {
  return isFresh(now - entry.computedAt, settings.staleAfterMs ?? shelfLifeOf(options, entry.value), settings.maxAgeMs);
}
