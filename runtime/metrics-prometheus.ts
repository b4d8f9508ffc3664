import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import { collectSizes, countersById, COUNTERS, HELP, onLatency, type MetricsExport } from './metrics.js';

/** Options of {@link exportToPrometheus}. */
export interface PrometheusExportOptions {
  /** The registry to register the metrics in. @defaultValue prom-client's global `register` */
  registry?: Registry;
  /** Prefix of every metric name. @defaultValue `'cachier_'` */
  prefix?: string;
  /** Upper bounds of the latency histogram buckets, in seconds. @defaultValue 10 µs to 10 s, about three per decade */
  buckets?: number[];
}

const DEFAULT_BUCKETS = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Publishes the metrics of every cached function of this process through
 * [prom-client](https://github.com/siimon/prom-client) (an optional peer
 * dependency), labelled with the function's cache id (`function`):
 * `cachier_hits_total`, `cachier_misses_total`, `cachier_stale_hits_total`,
 * `cachier_computations_total`, `cachier_waits_total`,
 * `cachier_wait_timeouts_total`, `cachier_refused_by_size_total` (counters),
 * `cachier_hit_duration_seconds` (sampled hits) and
 * `cachier_computation_duration_seconds` (histograms), and `cachier_entries`
 * and `cachier_stored_bytes` (gauges read from the backends at each scrape).
 *
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * import { exportToPrometheus } from 'cachier/prometheus';
 * exportToPrometheus();
 * // in your /metrics handler: res.end(await register.metrics());
 * ```
 */
export function exportToPrometheus(options: PrometheusExportOptions = {}): MetricsExport {
  const registers = [options.registry ?? globalRegistry];
  const prefix = options.prefix ?? 'cachier_';
  const labelNames = ['function'] as const;
  // Registering is all a metric needs: prom-client calls collect() at every scrape.
  for (const { field, prometheus, help } of COUNTERS) {
    new Counter({
      name: prefix + prometheus,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [functionId, counts] of countersById()) this.inc({ function: functionId }, counts[field]);
      },
    });
  }
  const histogram = (name: string, help: string) =>
    new Histogram({ name: prefix + name, help, labelNames, registers, buckets: options.buckets ?? DEFAULT_BUCKETS });
  const hitDuration = histogram('hit_duration_seconds', HELP.hitDuration);
  const computationDuration = histogram('computation_duration_seconds', HELP.computationDuration);
  // Both gauges come from one read of the backends per scrape (prom-client collects metrics concurrently).
  let scrape: ReturnType<typeof collectSizes> | undefined;
  const sizesOfThisScrape = (): ReturnType<typeof collectSizes> => {
    scrape ??= collectSizes().finally(() => setImmediate(() => (scrape = undefined)));
    return scrape;
  };
  const sizeGauge = (name: string, help: string, read: (sizes: Awaited<ReturnType<typeof collectSizes>>[number]) => number | undefined) =>
    new Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        for (const sizes of await sizesOfThisScrape()) {
          const value = read(sizes);
          if (value !== undefined) this.set({ function: sizes.functionId }, value);
        }
      },
    });
  sizeGauge('entries', HELP.entries, (sizes) => sizes.entries);
  sizeGauge('stored_bytes', HELP.totalBytes, (sizes) => sizes.totalBytes);
  const stopListening = onLatency((functionId, kind, seconds) => {
    (kind === 'hit' ? hitDuration : computationDuration).observe({ function: functionId }, seconds);
  });
  const names = [
    ...COUNTERS.map(({ prometheus }) => prometheus),
    'hit_duration_seconds',
    'computation_duration_seconds',
    'entries',
    'stored_bytes',
  ].map((name) => prefix + name);
  return {
    stop() {
      stopListening();
      for (const registry of registers) for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
