import { InvalidDurationError } from './errors.js';

/** A length of time: milliseconds as a number (`Infinity` for never), or text such as `500ms`, `30s`, `5m`, `3h`, `3d`, `2w`, `1h30m`. */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

// Units must appear largest first (`1h30m`, not `30m1h`) so every duration has one spelling.
const UNIT_ORDER = ['w', 'd', 'h', 'm', 's', 'ms'];
const PART = /(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/y;

/**
 * Parses a {@link Duration} into milliseconds.
 *
 * @throws {@link InvalidDurationError} for text that is not a duration, and for
 *   negative or non-finite numbers.
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(input: Duration): number {
  if (typeof input === 'number') {
    if (Number.isNaN(input) || input < 0) throw new InvalidDurationError(String(input));
    return input;
  }
  const text = input.trim();
  if (text === '') throw new InvalidDurationError(input);
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) throw new InvalidDurationError(input);
    const unit = match[2] as string;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastUnit) throw new InvalidDurationError(input);
    lastUnit = rank;
    total += Number(match[1]) * (UNIT_MS[unit] as number);
  }
  return total;
}
