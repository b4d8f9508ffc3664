import { Bench } from 'tinybench';

/**
 * @typedef {object} Workload
 * @property {() => unknown} run - one sample: `calls` calls of the memoized
 *   function, awaited one after another. Batching keeps sub-microsecond calls
 *   well above the timer's resolution.
 * @property {number} calls - calls per sample; the median sample is divided by it.
 */

/**
 * @typedef {object} Budget
 * @property {number} timeMs - time to spend sampling (tinybench `time`).
 * @property {number} minSamples - samples to take even past the time budget (tinybench `iterations`).
 */

/**
 * @typedef {object} Measurement
 * @property {number} medianUs - median time per call, in microseconds.
 * @property {number} p75Us - 75th percentile per call, in microseconds.
 * @property {number} samples - samples taken.
 */

/**
 * Measures one workload with tinybench and reports the median per call. Each
 * workload gets its own Bench so slow contenders (a 100 ms debounced write)
 * and fast ones (a map lookup) each get a sample count that fits them.
 *
 * @param {string} name
 * @param {Workload} workload
 * @param {Budget} budget
 * @returns {Promise<Measurement>}
 */
export async function measure(name, workload, budget) {
  const bench = new Bench({
    time: budget.timeMs,
    iterations: budget.minSamples,
    warmupTime: Math.max(10, budget.timeMs / 5),
    warmupIterations: Math.min(16, budget.minSamples),
    throws: true,
  });
  bench.add(name, workload.run);
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (!result || !('latency' in result)) throw new Error(`bench: ${name} produced no statistics (state ${result?.state})`);
  const perCall = 1000 / workload.calls;
  return {
    medianUs: result.latency.p50 * perCall,
    p75Us: result.latency.p75 * perCall,
    samples: result.latency.samplesCount,
  };
}

/**
 * A workload that calls `call(i)` `calls` times in a row, awaiting each
 * result, with `i` counting up across samples (so a miss workload can make a
 * new key per call).
 *
 * @param {(i: number) => unknown} call
 * @param {number} calls
 * @returns {Workload}
 */
export function sequential(call, calls) {
  let counter = 0;
  return {
    calls,
    run: async () => {
      for (let i = 0; i < calls; i++) await call(counter++);
    },
  };
}

/**
 * Like {@link sequential} for synchronous functions: no `await`, so the
 * figure is not inflated by a microtask hop the caller would not pay.
 *
 * @param {(i: number) => unknown} call
 * @param {number} calls
 * @returns {Workload}
 */
export function sequentialSync(call, calls) {
  let counter = 0;
  return {
    calls,
    run: () => {
      for (let i = 0; i < calls; i++) call(counter++);
    },
  };
}
