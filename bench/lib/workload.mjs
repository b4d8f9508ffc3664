/**
 * The memoized function every contender wraps: one small-object argument in,
 * a small object out, so the figures are the caches' own cost.
 */

/**
 * The argument of call number `i`: a fresh object each time, equal for equal `i`.
 * @param {number} i
 * @returns {{ symbol: string, days: number }}
 */
export function requestFor(i) {
  return { symbol: `S${i}`, days: 30 };
}

/**
 * What the function returns for `request`.
 * @param {{ symbol: string, days: number }} request
 */
export function quoteOf(request) {
  return { symbol: request.symbol, days: request.days, close: [101.5, 102.25, 99.75], currency: 'EUR' };
}

/**
 * A deterministic shuffle (xorshift), so every process and every run hits keys in the same order.
 * @param {number} count
 * @param {number} seed
 * @returns {number[]}
 */
export function shuffledIndexes(count, seed) {
  const indexes = Array.from({ length: count }, (_, i) => i);
  let state = seed || 1;
  for (let i = count - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    [indexes[i], indexes[j]] = [/** @type {number} */ (indexes[j]), /** @type {number} */ (indexes[i])];
  }
  return indexes;
}
