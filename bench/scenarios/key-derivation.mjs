/**
 * Scenario 3: the cost of turning arguments into a cache key, for a small
 * object, about 1 KB and about 100 KB of arguments. cachier encodes
 * canonically (type tags, sorted keys) and hashes with SHA-256; the peers, as
 * set up in these benchmarks, key on `JSON.stringify(args)`.
 */
import { hash } from 'node:crypto';
import { measure, sequentialSync } from '../lib/measure.mjs';
import { keyOfArguments } from '../lib/ours.mjs';
import { jsonKey } from '../lib/peers.mjs';
import { publish } from '../lib/report.mjs';
import { budget } from '../lib/settings.mjs';

const timing = { timeMs: budget(600, 20), minSamples: budget(30, 4) };

/**
 * A plain-data argument whose JSON text is at least `bytes` long: records
 * with strings, numbers, booleans, a nested array and a Date-free shape, as
 * a query or a config object would be.
 * @param {number} bytes
 */
function argumentOfSize(bytes) {
  const records = [];
  for (let id = 0; JSON.stringify(records).length < bytes; id++) {
    records.push({ id, name: `item-${id}`, price: id * 1.25, active: id % 2 === 0, tags: ['a', `t${id % 7}`] });
  }
  return { query: 'prices', page: 1, records };
}

const SIZES = [
  { label: 'small object', argument: { symbol: 'ACME', days: 30 }, calls: budget(200, 10) },
  { label: '1 KB', argument: argumentOfSize(1024), calls: budget(50, 5) },
  { label: '100 KB', argument: argumentOfSize(100 * 1024), calls: budget(2, 1) },
];

const CONTENDERS = [
  { name: 'cachier key (canonical + SHA-256)', key: (/** @type {unknown[]} */ args) => keyOfArguments(args) },
  {
    name: 'JSON.stringify (peers here)',
    key: jsonKey,
    note: 'not canonical: {a,b} and {b,a} differ, Maps and Sets become {}',
  },
  {
    name: 'JSON.stringify + SHA-256',
    key: (/** @type {unknown[]} */ args) => hash('sha256', jsonKey(args), 'base64url'),
    note: 'a short key, not canonical',
  },
];

const tables = [];
for (const size of SIZES) {
  const args = [size.argument];
  const rows = [];
  for (const contender of CONTENDERS) {
    const measured = await measure(
      contender.name,
      sequentialSync(() => contender.key(args), size.calls),
      timing,
    );
    rows.push({ contender: contender.name, value: measured.medianUs, p75: measured.p75Us, note: contender.note ?? '' });
  }
  tables.push({
    title: `Key of ${size.label} (${JSON.stringify(args).length.toLocaleString('en-US')} bytes of JSON)`,
    valueLabel: 'median µs/key',
    ours: CONTENDERS[0]?.name ?? '',
    extraColumns: [{ key: 'p75', label: 'p75 µs' }],
    rows,
  });
}

publish('key-derivation', { title: 'Scenario 3: key derivation cost', tables });
