import { describe, expect, test } from 'vitest';
import { InvalidDurationError, parseDuration } from '../../runtime/index.js';

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['3h', 10_800_000],
    ['3d', 259_200_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1d12h', 129_600_000],
    ['1.5s', 1_500],
    ['250', 250],
    [' 2m ', 120_000],
    [1234, 1234],
    [0, 0],
    [Infinity, Infinity],
  ])('reads %j as %d milliseconds', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  test.each(['', 'soon', '3 days', '5x', '30m1h', '1h1h', '-5s', 'ms', '1h 30m'])(
    'rejects %j with a message showing the grammar',
    (input) => {
      expect(() => parseDuration(input)).toThrow(InvalidDurationError);
      expect(() => parseDuration(input)).toThrow(/500ms, 30s, 5m, 3h, 3d, 2w or 1h30m/);
    },
  );

  test.each([-1, Number.NaN])('rejects the number %d', (input) => {
    expect(() => parseDuration(input)).toThrow(InvalidDurationError);
  });
});
