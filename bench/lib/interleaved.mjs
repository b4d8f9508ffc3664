/**
 * Interleaved rounds: each round runs every contender once, in turn, and the
 * median round is kept, so a disk that slows down or a neighbour that wakes up
 * weighs on every contender alike. Used where figures are compared with each
 * other as ratios (floors, flatness).
 */

/**
 * @typedef {object} Contender
 * @property {string} name
 * @property {(i: number) => unknown} call - one call; `i` counts up across rounds.
 * @property {boolean} [sync] - called without `await`.
 * @property {string} [note]
 */

/**
 * The median of some figures.
 * @param {number[]} values
 */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/**
 * Runs every contender `calls` times per round, for `rounds` rounds after
 * `warmupRounds` (default 1) unmeasured ones, and answers each one's median
 * µs per call.
 * @param {Contender[]} contenders
 * @param {{ rounds: number, calls: number, warmupRounds?: number }} plan
 * @returns {Promise<Map<string, number>>}
 */
export async function interleaved(contenders, plan) {
  /** @type {Map<string, number[]>} */
  const samples = new Map(contenders.map((contender) => [contender.name, []]));
  let counter = 0;
  for (let round = -(plan.warmupRounds ?? 1); round < plan.rounds; round++) {
    for (const contender of contenders) {
      const first = counter;
      const started = performance.now();
      if (contender.sync) for (let i = 0; i < plan.calls; i++) contender.call(first + i);
      else for (let i = 0; i < plan.calls; i++) await contender.call(first + i);
      const perCall = ((performance.now() - started) * 1000) / plan.calls;
      if (round >= 0) samples.get(contender.name)?.push(perCall);
    }
    counter += plan.calls;
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}
