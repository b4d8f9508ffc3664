/**
 * Usage figures of cached functions, one set per wrapper (`cachier()` call)
 * in this process; exporters add up the wrappers of one id. Counting is an integer increment;
 * timing costs two clock reads, so only a share of hits is timed
 * (`metricsSamplingRate`) while every computation is.
 */

/** Latency of the timed calls of one kind. */
export interface LatencySummary {
  /** How many calls were timed. */
  readonly samples: number;
  /** Their mean duration in milliseconds; 0 when none was timed. */
  readonly meanMs: number;
  /** The longest one in milliseconds; 0 when none was timed. */
  readonly maxMs: number;
}

/** The figures of one function since this process started or since `resetMetrics()`. */
export interface MetricsSnapshot {
  /** Calls answered by a fresh entry. */
  readonly hits: number;
  /** Calls that found no entry. */
  readonly misses: number;
  /** Calls that found a stale entry (recomputed now, or served while refreshing with `nextTime`). */
  readonly staleHits: number;
  /** Times the function itself ran: misses, stale entries, overwrites, background refreshes, waiters that gave up. */
  readonly computations: number;
  /** Calls that waited for another caller's computation of the same key (this process or another). */
  readonly waits: number;
  /** Waits that ended at `waitForCalcTimeout`, after which the caller computed itself. */
  readonly waitTimeouts: number;
  /** Results returned but not stored because they exceeded `entrySizeLimit` (or the backend's own limit). */
  readonly refusedBySize: number;
  /** Calls answered by a stale entry because recomputing it failed within `grace`, or took longer than `timeout`. */
  readonly servedStale: number;
  /** Calls rejected with `ComputeTimeoutError` because no value came within `hardTimeout`. */
  readonly computeTimeouts: number;
  /** Backend operations that failed (unreachable, timed out, refused), after which their call went on without the cache. */
  readonly backendFailures: number;
  /** Entries this process's stores removed to keep the cache within `maxEntries` or `maxBytes`. */
  readonly evictions: number;
  /**
   * The backend as this process sees it: `up`, or `down` while calls skip it
   * after failures (then `probing` while one call tries it again).
   */
  readonly backendState: BackendState;
  /** Latency of the sampled hits, from the call to the value. */
  readonly hitLatency: LatencySummary;
  /** Run time of the function on every computation. */
  readonly computeLatency: LatencySummary;
}

/** Whether calls use the backend (`up`), skip it after failures (`down`), or let one call try it again (`probing`). */
export type BackendState = 'up' | 'down' | 'probing';

/** What a timed call was. */
export type LatencyKind = 'hit' | 'computation';

/** Hears every timed call; exporters feed their histograms from it. */
export type LatencyListener = (functionId: string, kind: LatencyKind, seconds: number) => void;

/** Reads what a function's backend holds: entries and, where the backend can tell, their bytes. */
export type SizeProbe = () => Promise<{ readonly entries: number; readonly totalBytes: number | undefined }>;

class Latency {
  samples = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    this.samples++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  summary(): LatencySummary {
    return { samples: this.samples, meanMs: this.samples === 0 ? 0 : this.sumMs / this.samples, maxMs: this.maxMs };
  }
}

const listeners = new Set<LatencyListener>();

/** The counters and latencies of one function id. */
export class FunctionMetrics {
  hits = 0;
  misses = 0;
  staleHits = 0;
  computations = 0;
  waits = 0;
  waitTimeouts = 0;
  refusedBySize = 0;
  servedStale = 0;
  computeTimeouts = 0;
  backendFailures = 0;
  evictions = 0;
  /** Set by whatever watches the backend's health (a guard around the core); `up` until told otherwise. */
  backendState: BackendState = 'up';
  /** Reads the backend's entry count and size; set by the wrapper. */
  probe: SizeProbe | undefined;
  private hitLatency = new Latency();
  private computeLatency = new Latency();
  /** Hits left until the next timed one: sampling by counting is cheaper than a random draw per hit. */
  private untilTimedHit = 1;

  constructor(readonly functionId: string) {}

  /** Whether to time this hit, for a share `rate` (0 to 1) of hits. */
  timesHit(rate: number): boolean {
    if (rate <= 0 || --this.untilTimedHit > 0) return false;
    this.untilTimedHit = Math.max(1, Math.round(1 / rate));
    return true;
  }

  record(kind: LatencyKind, ms: number): void {
    (kind === 'hit' ? this.hitLatency : this.computeLatency).record(ms);
    for (const listener of listeners) listener(this.functionId, kind, ms / 1000);
  }

  snapshot(): MetricsSnapshot {
    return {
      hits: this.hits,
      misses: this.misses,
      staleHits: this.staleHits,
      computations: this.computations,
      waits: this.waits,
      waitTimeouts: this.waitTimeouts,
      refusedBySize: this.refusedBySize,
      servedStale: this.servedStale,
      computeTimeouts: this.computeTimeouts,
      backendFailures: this.backendFailures,
      evictions: this.evictions,
      backendState: this.backendState,
      hitLatency: this.hitLatency.summary(),
      computeLatency: this.computeLatency.summary(),
    };
  }

  reset(): void {
    this.hits = this.misses = this.staleHits = this.computations = 0;
    this.waits = this.waitTimeouts = this.refusedBySize = 0;
    this.servedStale = this.computeTimeouts = this.backendFailures = this.evictions = 0;
    this.hitLatency = new Latency();
    this.computeLatency = new Latency();
  }
}

// Weak, so a wrapper nobody holds any more takes its figures with it.
const live = new Set<WeakRef<FunctionMetrics>>();
const forgetting = new FinalizationRegistry<WeakRef<FunctionMetrics>>((reference) => live.delete(reference));

/** New figures for a wrapper of `functionId`, published to the exporters while the wrapper lives. */
export function trackedMetrics(functionId: string): FunctionMetrics {
  const metrics = new FunctionMetrics(functionId);
  const reference = new WeakRef(metrics);
  live.add(reference);
  forgetting.register(metrics, reference);
  return metrics;
}

/** Where counts go when a function has `metrics: false`: nowhere anyone reads, and never timed. */
export const UNCOUNTED = new FunctionMetrics('');

function* liveMetrics(): Generator<FunctionMetrics> {
  for (const reference of live) {
    const metrics = reference.deref();
    if (metrics) yield metrics;
  }
}

/** The counters of every function id of this process, added up over its live wrappers, for exporters. */
export function countersById(): Map<string, Record<CounterDescription['field'], number>> {
  const sums = new Map<string, Record<CounterDescription['field'], number>>();
  for (const metrics of liveMetrics()) {
    const sum = sums.get(metrics.functionId);
    if (!sum) {
      sums.set(
        metrics.functionId,
        Object.fromEntries(COUNTERS.map(({ field }) => [field, metrics[field]])) as Record<CounterDescription['field'], number>,
      );
    } else {
      for (const { field } of COUNTERS) sum[field] += metrics[field];
    }
  }
  return sums;
}

/** Calls `listener` for every timed call from now on; answers a function that stops it. */
export function onLatency(listener: LatencyListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A counter every exporter publishes: its field, its Prometheus and OpenTelemetry names, and its help text. */
export interface CounterDescription {
  readonly field:
    | 'hits'
    | 'misses'
    | 'staleHits'
    | 'computations'
    | 'waits'
    | 'waitTimeouts'
    | 'refusedBySize'
    | 'servedStale'
    | 'computeTimeouts'
    | 'backendFailures'
    | 'evictions';
  readonly prometheus: string;
  readonly openTelemetry: string;
  readonly help: string;
}

/** The counters of {@link MetricsSnapshot}, as the exporters name them. */
export const COUNTERS: readonly CounterDescription[] = [
  { field: 'hits', prometheus: 'hits_total', openTelemetry: 'hits', help: 'Calls answered by a fresh entry' },
  { field: 'misses', prometheus: 'misses_total', openTelemetry: 'misses', help: 'Calls that found no entry' },
  { field: 'staleHits', prometheus: 'stale_hits_total', openTelemetry: 'stale_hits', help: 'Calls that found a stale entry' },
  { field: 'computations', prometheus: 'computations_total', openTelemetry: 'computations', help: 'Runs of the cached function' },
  { field: 'waits', prometheus: 'waits_total', openTelemetry: 'waits', help: "Calls that waited for another caller's computation" },
  {
    field: 'waitTimeouts',
    prometheus: 'wait_timeouts_total',
    openTelemetry: 'wait_timeouts',
    help: 'Waits that ended at waitForCalcTimeout',
  },
  {
    field: 'refusedBySize',
    prometheus: 'refused_by_size_total',
    openTelemetry: 'refused_by_size',
    help: 'Results not stored for their size',
  },
  {
    field: 'servedStale',
    prometheus: 'served_stale_total',
    openTelemetry: 'served_stale',
    help: 'Calls answered by a stale entry within grace or after timeout',
  },
  {
    field: 'computeTimeouts',
    prometheus: 'compute_timeouts_total',
    openTelemetry: 'compute_timeouts',
    help: 'Calls rejected at hardTimeout',
  },
  {
    field: 'backendFailures',
    prometheus: 'backend_failures_total',
    openTelemetry: 'backend_failures',
    help: 'Backend operations that failed',
  },
  { field: 'evictions', prometheus: 'evictions_total', openTelemetry: 'evictions', help: 'Entries evicted for maxEntries or maxBytes' },
];

/** Help texts of the latency histograms and the size gauges, shared by the exporters. */
export const HELP = {
  hitDuration: 'Latency of sampled cache hits, in seconds',
  computationDuration: 'Run time of the cached function, in seconds',
  entries: 'Entries stored for the function, read from the backend at collection time',
  totalBytes: 'Bytes of the stored values, read from the backend at collection time',
} as const;

/** Reads the size of every function's cache that can be read, once per id; a failing backend is left out of this collection. */
export async function collectSizes(): Promise<Array<{ functionId: string; entries: number; totalBytes: number | undefined }>> {
  const probes = new Map<string, SizeProbe>();
  for (const metrics of liveMetrics()) {
    if (metrics.probe && !probes.has(metrics.functionId)) probes.set(metrics.functionId, metrics.probe);
  }
  const probed = [...probes].map(([functionId, probe]) =>
    probe().then(
      (sizes) => ({ functionId, ...sizes }),
      () => undefined,
    ),
  );
  return (await Promise.all(probed)).filter((sizes) => sizes !== undefined);
}

/** What an exporter answers: a way to stop publishing. */
export interface MetricsExport {
  /** Stops publishing: removes the metrics from the registry or meter and stops recording latencies. */
  stop(): void;
}
