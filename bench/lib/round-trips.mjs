/**
 * A table of a shared backend's figures beside direct driver calls of one
 * round trip each on the same server.
 *
 * @param {string} title
 * @param {string} ours
 * @param {{ value: number, roundTrips: number }} figures
 * @param {{ contender: string, value: number, note: string }[]} yardsticks
 * @param {string} noPeer - why the peer caches compared elsewhere have no row here
 * @returns {import('./report.mjs').Table}
 */
export function roundTripTable(title, ours, figures, yardsticks, noPeer) {
  return {
    title,
    valueLabel: 'median µs/call',
    ours,
    extraColumns: [{ key: 'roundTrips', label: 'round trips/call' }],
    rows: [
      { contender: ours, ...figures },
      ...yardsticks.map((yardstick) => ({ ...yardstick, roundTrips: 1 })),
      { contender: 'cacache, keyv-file, memoizee, p-memoize', unavailable: noPeer },
    ],
  };
}
