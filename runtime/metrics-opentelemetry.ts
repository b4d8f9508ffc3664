import { metrics as globalMetrics, type BatchObservableCallback, type Meter, type Observable } from '@opentelemetry/api';
import { collectSizes, countersById, COUNTERS, HELP, onLatency, type MetricsExport } from './metrics.js';

/** Options of {@link exportToOpenTelemetry}. */
export interface OpenTelemetryExportOptions {
  /** The meter to create the instruments with. @defaultValue `metrics.getMeter('cachier')` of `@opentelemetry/api` */
  meter?: Meter;
  /** Prefix of every instrument name. @defaultValue `'cachier.'` */
  prefix?: string;
}

/**
 * Publishes the metrics of every cached function of this process through the
 * OpenTelemetry metrics API (`@opentelemetry/api`, an optional peer
 * dependency; your SDK set-up decides where they go), with the attribute
 * `function` holding the cache id: observable counters `cachier.hits`,
 * `cachier.misses`, `cachier.stale_hits`, `cachier.computations`,
 * `cachier.waits`, `cachier.wait_timeouts`, `cachier.refused_by_size`;
 * histograms `cachier.hit.duration` (sampled hits) and
 * `cachier.computation.duration` in seconds; observable gauges
 * `cachier.entries` and `cachier.stored_bytes`, read from the backends at each collection.
 *
 * @example
 * ```ts
 * import { exportToOpenTelemetry } from 'cachier/opentelemetry';
 * exportToOpenTelemetry(); // after your MeterProvider is registered
 * ```
 */
export function exportToOpenTelemetry(options: OpenTelemetryExportOptions = {}): MetricsExport {
  const meter = options.meter ?? globalMetrics.getMeter('cachier');
  const prefix = options.prefix ?? 'cachier.';
  const counters = COUNTERS.map(({ field, openTelemetry, help }) => ({
    field,
    instrument: meter.createObservableCounter(prefix + openTelemetry, { description: help }),
  }));
  const entries = meter.createObservableGauge(`${prefix}entries`, { description: HELP.entries });
  const storedBytes = meter.createObservableGauge(`${prefix}stored_bytes`, { description: HELP.totalBytes, unit: 'By' });
  const observe: BatchObservableCallback = async (result) => {
    for (const [functionId, counts] of countersById()) {
      for (const { field, instrument } of counters) result.observe(instrument, counts[field], { function: functionId });
    }
    for (const sizes of await collectSizes()) {
      const attributes = { function: sizes.functionId };
      result.observe(entries, sizes.entries, attributes);
      if (sizes.totalBytes !== undefined) result.observe(storedBytes, sizes.totalBytes, attributes);
    }
  };
  const observables: Observable[] = [...counters.map(({ instrument }) => instrument), entries, storedBytes];
  meter.addBatchObservableCallback(observe, observables);
  const hitDuration = meter.createHistogram(`${prefix}hit.duration`, { description: HELP.hitDuration, unit: 's' });
  const computationDuration = meter.createHistogram(`${prefix}computation.duration`, { description: HELP.computationDuration, unit: 's' });
  const stopListening = onLatency((functionId, kind, seconds) => {
    (kind === 'hit' ? hitDuration : computationDuration).record(seconds, { function: functionId });
  });
  return {
    stop() {
      stopListening();
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}
