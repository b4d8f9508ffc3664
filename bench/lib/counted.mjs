import { quoteOf } from './workload.mjs';

/**
 * A fresh pair of quote functions (sync and async) that count how often they
 * really run, so a scenario can check that its "hits" were hits.
 */
export function countedQuotes() {
  let computations = 0;
  return {
    /** @param {{ symbol: string, days: number }} request */
    syncQuote(request) {
      computations++;
      return quoteOf(request);
    },
    /** @param {{ symbol: string, days: number }} request */
    async asyncQuote(request) {
      computations++;
      return quoteOf(request);
    },
    computations: () => computations,
  };
}
