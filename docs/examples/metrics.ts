import { cachier } from 'cachier';
import { exportToPrometheus } from 'cachier/prometheus';
import { Registry } from 'prom-client';

const registry = new Registry();
exportToPrometheus({ registry }); // or exportToPrometheus() for prom-client's global registry

const double = cachier((n: number) => n * 2, { backend: 'memory', id: 'double', metricsSamplingRate: 1 });
double(1); // miss
double(1); // hit
double(1); // hit

const { hits, misses, computations, hitLatency } = await double.cacheInfo();
console.log({ hits, misses, computations, timedHits: hitLatency.samples }); // { hits: 2, misses: 1, computations: 1, timedHits: 2 }

const scrape = await registry.metrics(); // what your /metrics endpoint serves
console.log(
  scrape
    .split('\n')
    .filter((line) => /^cachier_(hits|misses)_total\{/.test(line))
    .join('\n'),
);
// cachier_hits_total{function="double"} 2
// cachier_misses_total{function="double"} 1
double.resetMetrics();
