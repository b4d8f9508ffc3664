import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { exportToOpenTelemetry } from '../../runtime/metrics-opentelemetry.js';
import { exportToPrometheus } from '../../runtime/metrics-prometheus.js';
import { cachier, resetDefaults } from '../../runtime/index.js';
import { installManualClock } from '../support/clock.js';

let nextId = 0;
const uniqueId = (): string => `metrics-${process.pid}-${nextId++}`;

afterEach(() => {
  resetDefaults();
});

/** Two misses, three hits, one stale hit and one result refused for its size. */
async function exercise(options: Parameters<typeof cachier>[1] = {}) {
  const clock = installManualClock();
  const cached = cachier((x: number) => (x === 9 ? 'x'.repeat(4096) : x * 2), {
    backend: 'memory',
    id: uniqueId(),
    staleAfter: '1m',
    entrySizeLimit: '1KB',
    ...options,
  });
  cached(1);
  cached(2);
  cached(1);
  cached(1);
  cached(2);
  clock.advance(120_000);
  cached(1);
  cached(9);
  return cached;
}

describe('cacheInfo() metrics', () => {
  test('counts hits, misses, stale hits, computations and results refused by size, and measures sizes', async () => {
    const cached = await exercise({ metricsSamplingRate: 1 });
    const info = await cached.cacheInfo();
    expect(info).toMatchObject({
      entries: 2,
      hits: 3,
      misses: 3,
      staleHits: 1,
      computations: 4,
      refusedBySize: 1,
      waits: 0,
      waitTimeouts: 0,
    });
    expect(info.hitLatency.samples).toBe(3);
    expect(info.computeLatency.samples).toBe(4);
    expect(info.computeLatency.maxMs).toBeGreaterThanOrEqual(info.computeLatency.meanMs);
    expect(info.totalBytes).toBeGreaterThan(0);
  });

  test('computations are timed: a computation that runs 20 ms counts at least that', async () => {
    const busy = cachier(
      (x: number) => {
        const until = performance.now() + 20;
        while (performance.now() < until);
        return x;
      },
      { backend: 'memory', id: uniqueId() },
    );
    busy(1);
    busy(2);
    const { computeLatency } = await busy.cacheInfo();
    expect(computeLatency.samples).toBe(2);
    expect(computeLatency.meanMs).toBeGreaterThanOrEqual(19);
    expect(computeLatency.maxMs).toBeGreaterThanOrEqual(computeLatency.meanMs);
  });

  test('only a share of hits is timed, by metricsSamplingRate', async () => {
    const cached = cachier((x: number) => x, { backend: 'memory', id: uniqueId(), metricsSamplingRate: 0.25 });
    for (let i = 0; i < 101; i++) cached(1);
    const info = await cached.cacheInfo();
    expect(info.hits).toBe(100);
    expect(info.hitLatency.samples).toBe(25);
  });

  test('resetMetrics() starts the figures again and keeps the entries', async () => {
    const cached = await exercise();
    cached.resetMetrics();
    expect(await cached.cacheInfo()).toMatchObject({ entries: 2, hits: 0, misses: 0, staleHits: 0, computations: 0, refusedBySize: 0 });
    expect((await cached.cacheInfo()).hitLatency).toEqual({ samples: 0, meanMs: 0, maxMs: 0 });
  });

  test('metrics: false counts nothing', async () => {
    const cached = await exercise({ metrics: false });
    expect(await cached.cacheInfo()).toMatchObject({ entries: 2, hits: 0, misses: 0, computations: 0 });
  });
});

describe('Prometheus exporter (prom-client)', () => {
  test('a scrape shows the counters, latency histograms and sizes of each function', async () => {
    const registry = new Registry();
    const exporter = exportToPrometheus({ registry });
    try {
      const cached = await exercise({ metricsSamplingRate: 1 });
      const { id } = await cached.cacheInfo();
      const text = await registry.metrics();
      const line = (name: string) => new RegExp(`^${name}\\{function="${id}"\\} (\\S+)$`, 'm').exec(text)?.[1];
      expect(text).toContain('# TYPE cachier_hits_total counter');
      expect(line('cachier_hits_total')).toBe('3');
      expect(line('cachier_misses_total')).toBe('3');
      expect(line('cachier_stale_hits_total')).toBe('1');
      expect(line('cachier_computations_total')).toBe('4');
      expect(line('cachier_refused_by_size_total')).toBe('1');
      expect(line('cachier_entries')).toBe('2');
      expect(Number(line('cachier_stored_bytes'))).toBeGreaterThan(0);
      expect(text).toContain('# TYPE cachier_hit_duration_seconds histogram');
      expect(line('cachier_hit_duration_seconds_count')).toBe('3');
      expect(line('cachier_computation_duration_seconds_count')).toBe('4');
    } finally {
      exporter.stop();
    }
    expect(await registry.metrics()).not.toContain('cachier_');
  });
});

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('OpenTelemetry exporter (@opentelemetry/api meters)', () => {
  test('an in-memory metric reader collects the counters, histograms and sizes of each function', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const exporter = exportToOpenTelemetry({ meter: provider.getMeter('test') });
    try {
      const cached = await exercise({ metricsSamplingRate: 1 });
      const { id } = await cached.cacheInfo();
      const { resourceMetrics, errors } = await reader.collect();
      expect(errors).toEqual([]);
      const point = (name: string): unknown => findPoint(resourceMetrics, name, id);
      expect(point('cachier.hits')).toBe(3);
      expect(point('cachier.misses')).toBe(3);
      expect(point('cachier.stale_hits')).toBe(1);
      expect(point('cachier.computations')).toBe(4);
      expect(point('cachier.refused_by_size')).toBe(1);
      expect(point('cachier.entries')).toBe(2);
      expect(point('cachier.hit.duration')).toMatchObject({ count: 3 });
      expect(point('cachier.computation.duration')).toMatchObject({ count: 4 });
    } finally {
      exporter.stop();
      await provider.shutdown();
    }
  });
});

function findPoint(resourceMetrics: ResourceMetrics, name: string, functionId: string): unknown {
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      const found = (metric.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>).find(
        (point) => point.attributes['function'] === functionId,
      );
      return found?.value;
    }
  }
  return undefined;
}
