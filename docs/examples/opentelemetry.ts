import { cachier } from 'cachier';
import { exportToOpenTelemetry } from 'cachier/opentelemetry';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

// Your SDK set-up; in production an OTLP exporter instead of the in-memory one.
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
const provider = new MeterProvider({ readers: [reader] });
exportToOpenTelemetry({ meter: provider.getMeter('my-app') }); // without meter: the global MeterProvider's

const double = cachier((n: number) => n * 2, { backend: 'memory', id: 'double' });
double(1); // miss
double(1); // hit

await reader.forceFlush();
const metrics = exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
for (const name of ['cachier.hits', 'cachier.misses', 'cachier.entries']) {
  const metric = metrics.find((candidate) => candidate.descriptor.name === name);
  console.log(name, metric?.dataPoints[0]?.value); // cachier.hits 1, cachier.misses 1, cachier.entries 1
}
await provider.shutdown();
