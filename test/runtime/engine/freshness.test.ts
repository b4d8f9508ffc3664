import { describe, expect, test } from 'vitest';
import { CLOCK_SKEW_TOLERANCE_MS, decideFreshness, type Freshness, type FreshnessPolicy } from '../../../runtime/engine/freshness.js';

const MINUTE = 60_000;
const policy = (overrides: Partial<FreshnessPolicy> = {}): FreshnessPolicy => ({
  shelfLifeMs: 10 * MINUTE,
  maxAgeMs: Infinity,
  nextTime: false,
  graceMs: 0,
  backingOff: false,
  ...overrides,
});

// What a call does with the entry it found, by the entry's age and the call's policy.
const cases: Array<[string, number, FreshnessPolicy, Freshness]> = [
  ['younger than its shelf life: fresh', 5 * MINUTE, policy(), 'fresh'],
  ['exactly its shelf life old: still fresh', 10 * MINUTE, policy(), 'fresh'],
  ['older than its shelf life: recomputed', 10 * MINUTE + 1, policy(), 'recompute'],
  ['never stale (shelf life Infinity): fresh at any age', 10 * 365 * 24 * 60 * MINUTE, policy({ shelfLifeMs: Infinity }), 'fresh'],
  ["older than the call's maxAge though within shelf life: recomputed", 5 * MINUTE, policy({ maxAgeMs: MINUTE }), 'recompute'],
  ['stale with nextTime: served and refreshed', 11 * MINUTE, policy({ nextTime: true }), 'refresh'],
  ['older than maxAge with nextTime: served and refreshed (Python)', 5 * MINUTE, policy({ maxAgeMs: MINUTE, nextTime: true }), 'refresh'],
  ['stamped a little in the future (clock skew): fresh', -CLOCK_SKEW_TOLERANCE_MS, policy(), 'fresh'],
  ['stamped far in the future (a wrong clock): recomputed', -CLOCK_SKEW_TOLERANCE_MS - 1, policy(), 'recompute'],
  ['stale, within grace, key backing off: served within grace', 15 * MINUTE, policy({ graceMs: 10 * MINUTE, backingOff: true }), 'grace'],
  [
    'stale, within grace, no back-off: recomputed (grace only answers a failure)',
    15 * MINUTE,
    policy({ graceMs: 10 * MINUTE }),
    'recompute',
  ],
  ['stale, past grace, key backing off: recomputed', 20 * MINUTE + 1, policy({ graceMs: 10 * MINUTE, backingOff: true }), 'recompute'],
  ['stale, grace off, key backing off: recomputed', 11 * MINUTE, policy({ backingOff: true }), 'recompute'],
  [
    'stale with nextTime and grace: served and refreshed',
    15 * MINUTE,
    policy({ nextTime: true, graceMs: 10 * MINUTE, backingOff: true }),
    'refresh',
  ],
];

describe('the freshness decision', () => {
  test.each(cases)('%s', (_, ageMs, given, expected) => {
    expect(decideFreshness(ageMs, given)).toBe(expected);
  });
});
