/**
 * Scenario 8: cachier against the floors it cannot beat, in one process with
 * interleaved rounds (each round runs every contender once, in turn, and the
 * median round is kept), so a disk that slows down or a neighbour that wakes
 * up weighs on every row alike. The floors are what a miss and a hit must at
 * least do: write a file and rename it into place, read a file. Every target
 * of issue 14 reads off these tables.
 *
 * BENCH_DIR=/dev/shm (a tmpfs) measures where the file system's history of
 * deletes cannot blur the figures; the targets are stricter there.
 * BENCH_BASELINE=<a dist/ folder of another build> adds that build's rows
 * ("before"), measured in the same rounds.
 */
import { readFileSync, renameSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import memoizeFs from 'memoize-fs';
import { keyPaths, versionLayout } from '../../dist/runtime/backends/file/layout.js';
import { canonicalArguments } from '../../dist/runtime/keys.js';
import { cachier, keyOfArguments } from '../lib/ours.mjs';
import { cacacheMemo, jsonKey, memoizeeAsync, memoizeeSync, pMemoized } from '../lib/peers.mjs';
import { interleaved, median } from '../lib/interleaved.mjs';
import { formatNumber, publish } from '../lib/report.mjs';
import { budget } from '../lib/settings.mjs';
import { makeTempDir } from '../lib/temp-dir.mjs';
import { quoteOf, requestFor } from '../lib/workload.mjs';

const ROUNDS = budget(41, 3);
const MISS_CALLS = budget(20, 2);
/**
 * Rounds each contender of the file-core tables runs before any is measured.
 * A miss runs a few hundred lines of JavaScript, which V8 optimizes over its
 * first few hundred calls on a background thread; on a loaded 2-core machine
 * that thread takes the CPU from the measured one for milliseconds at a
 * time, so a single warm-up round left the medians to measure the compiler.
 * Every contender gets the same warm-up; FLOORS_WARMUP=<rounds> changes it
 * (1 was the old one).
 */
const FILE_WARMUP_ROUNDS = budget(Number(process.env['FLOORS_WARMUP'] ?? 20), 1);
const HIT_CALLS = budget(50, 2);
const MEMORY_CALLS = budget(2000, 10);
const KEY_CALLS = budget(2000, 10);
const TMPFS_MAGIC = 0x01021994;

const root = makeTempDir('floors');
const onTmpfs = statfsSync(root).type === TMPFS_MAGIC;
const baselineDir = process.env['BENCH_BASELINE'];
/** @type {typeof cachier | undefined} */
const baseline = baselineDir ? (await import(pathToFileURL(join(resolve(baselineDir), 'runtime/index.js')).href)).cachier : undefined;

/** @typedef {import('../lib/interleaved.mjs').Contender} Contender */

/**
 * A table of contenders measured together, each row with its ratio to `base`.
 * @param {string} title
 * @param {Contender[]} contenders
 * @param {Map<string, number>} figures
 * @param {string} ours
 */
function tableOf(title, contenders, figures, ours) {
  return {
    title,
    valueLabel: 'median µs/call',
    ours,
    rows: contenders.map((contender) => ({
      contender: contender.name,
      value: figures.get(contender.name) ?? NaN,
      note: contender.note ?? '',
    })),
  };
}

/** @type {import('../lib/report.mjs').Target[]} */
const targets = [];

/**
 * Records a target: `ratio` must be at most `limit` (or at least, with `atLeast`).
 * @param {string} claim
 * @param {number} ratio
 * @param {number} limit
 * @param {{ atLeast?: boolean }} [how]
 */
function target(claim, ratio, limit, how = {}) {
  targets.push({ claim, met: how.atLeast ? ratio >= limit : ratio <= limit, measured: `${formatNumber(ratio)}x` });
}

// ---------------------------------------------------------------- the miss

/** The bytes of one real entry, so the floors write and read what the core does. */
function entryBytesOf(cacheDir, id, args) {
  return readFileSync(keyPaths(versionLayout(cacheDir, id, 'floors-v1'), keyOfArguments(args)).entry);
}

/**
 * @param {typeof cachier} build
 * @param {string} label
 * @param {string} dir
 */
function cachierMisses(build, label, dir) {
  const options = (/** @type {string} */ flavour) => ({
    backend: 'file',
    cacheDir: join(dir, flavour),
    id: 'bench/floors#quote',
    sourceHash: 'floors-v1',
  });
  const syncQuote = build((/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request), options('sync'));
  const asyncQuote = build(async (/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request), options('async'));
  return [
    { name: `${label} miss, sync function`, sync: true, call: (/** @type {number} */ i) => syncQuote(requestFor(i)) },
    { name: `${label} miss, async function`, call: (/** @type {number} */ i) => asyncQuote(requestFor(i)) },
  ];
}

const sample = cachier((/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request), {
  backend: 'file',
  cacheDir: join(root, 'sample'),
  id: 'bench/floors#quote',
  sourceHash: 'floors-v1',
});
sample(requestFor(0));
const entryBytes = entryBytesOf(join(root, 'sample'), 'bench/floors#quote', [requestFor(0)]);
const floorDir = makeTempDir('floors-write');
const atomicDir = makeTempDir('floors-atomic');

/** @type {Contender[]} */
const missContenders = [
  {
    name: 'floor: writeFileSync + renameSync',
    sync: true,
    call: (i) => {
      const temp = join(floorDir, `${i}.tmp`);
      writeFileSync(temp, entryBytes);
      renameSync(temp, join(floorDir, String(i)));
    },
    note: `the same ${entryBytes.length} bytes an entry holds, to a new name each call`,
  },
  ...cachierMisses(cachier, 'cachier file core', makeTempDir('floors-ours')),
  ...(baseline ? cachierMisses(baseline, 'before: cachier file core', makeTempDir('floors-before')) : []),
  {
    name: 'write-file-atomic sync',
    sync: true,
    call: (i) => writeFileAtomic.sync(join(atomicDir, `s${i}`), entryBytes, { fsync: false }),
    note: 'fsync: false; the write alone, no read, no mark',
  },
  {
    name: 'write-file-atomic async',
    call: (i) => writeFileAtomic(join(atomicDir, `a${i}`), entryBytes, { fsync: false }),
    note: 'fsync: false; the write alone, no read, no mark',
  },
  (() => {
    const memo = cacacheMemo(
      async (/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request),
      makeTempDir('floors-cacache'),
    );
    return { name: 'cacache get-miss + put', call: (/** @type {number} */ i) => memo(requestFor(i)) };
  })(),
];
const memoizeFsQuote = await memoizeFs({ cachePath: makeTempDir('floors-memoize-fs') }).fn(
  async (/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request),
  { cacheId: 'quote' },
);
missContenders.push({
  name: 'memoize-fs miss',
  call: (i) => memoizeFsQuote(requestFor(i)),
  note: 'JSON in a file per call, no mark, no dedupe',
});

const missFigures = await interleaved(missContenders, { rounds: ROUNDS, calls: MISS_CALLS, warmupRounds: FILE_WARMUP_ROUNDS });
const writeFloor = missFigures.get('floor: writeFileSync + renameSync') ?? NaN;
const missLimit = onTmpfs ? 6 : 4;
for (const flavour of ['sync', 'async']) {
  const ours = missFigures.get(`cachier file core miss, ${flavour} function`) ?? NaN;
  target(
    `file-core miss, ${flavour} function: <= ${missLimit}x a bare write + rename (${onTmpfs ? 'tmpfs' : 'disk'})`,
    ours / writeFloor,
    missLimit,
  );
}
const asyncMiss = missFigures.get('cachier file core miss, async function') ?? NaN;
target(
  'file-core async miss: >= 5x faster than cacache get-miss + put',
  (missFigures.get('cacache get-miss + put') ?? NaN) / asyncMiss,
  5,
  { atLeast: true },
);
target('file-core async miss: faster than memoize-fs', (missFigures.get('memoize-fs miss') ?? NaN) / asyncMiss, 1, { atLeast: true });

// ----------------------------------------------------------------- the hit

/**
 * @param {typeof cachier} build
 * @param {string} label
 */
async function cachierHits(build, label) {
  const dir = makeTempDir('floors-hit');
  const options = { backend: 'file', cacheDir: dir, id: 'bench/floors#quote', sourceHash: 'floors-v1' };
  const syncQuote = build((/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request), options);
  const asyncQuote = build(async (/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request), {
    ...options,
    id: 'bench/floors#async',
  });
  for (let i = 0; i < 100; i++) {
    syncQuote(requestFor(i));
    await asyncQuote(requestFor(i));
  }
  return {
    file: keyPaths(versionLayout(dir, 'bench/floors#quote', 'floors-v1'), keyOfArguments([requestFor(0)])).entry,
    contenders: [
      { name: `${label} hit, sync function`, sync: true, call: (/** @type {number} */ i) => syncQuote(requestFor(i % 100)) },
      { name: `${label} hit, async function`, call: (/** @type {number} */ i) => asyncQuote(requestFor(i % 100)) },
    ],
  };
}

const oursHits = await cachierHits(cachier, 'cachier file core');
/** @type {Contender[]} */
const hitContenders = [
  {
    name: 'floor: readFileSync of the entry',
    sync: true,
    call: () => readFileSync(oursHits.file),
    note: 'no key, no check, no deserialize',
  },
  ...oursHits.contenders,
  ...(baseline ? (await cachierHits(baseline, 'before: cachier file core')).contenders : []),
];
const hitFigures = await interleaved(hitContenders, { rounds: ROUNDS, calls: HIT_CALLS, warmupRounds: FILE_WARMUP_ROUNDS });
const readFloor = hitFigures.get('floor: readFileSync of the entry') ?? NaN;
target(
  'file-core hit (sync function): <= 2x a bare readFileSync',
  (hitFigures.get('cachier file core hit, sync function') ?? NaN) / readFloor,
  2,
);

// ------------------------------------------------------------ keys, memory

const keyArguments = [
  { label: 'small object', args: [{ symbol: 'ACME', days: 30 }] },
  {
    label: '1 KB',
    args: [
      {
        query: 'prices',
        page: 1,
        records: Array.from({ length: 12 }, (_, id) => ({
          id,
          name: `item-${id}`,
          price: id * 1.25,
          active: id % 2 === 0,
          tags: ['a', `t${id % 7}`],
        })),
      },
    ],
  },
];
const keyContenders = keyArguments.flatMap(({ label, args }) => [
  { name: `canonical encoding, ${label}`, sync: true, call: () => canonicalArguments(args) },
  { name: `JSON.stringify, ${label}`, sync: true, call: () => jsonKey(args), note: `${jsonKey(args).length} bytes of JSON` },
  { name: `cachier key (canonical + SHA-256), ${label}`, sync: true, call: () => keyOfArguments(args) },
]);
const keyFigures = await interleaved(keyContenders, { rounds: ROUNDS, calls: KEY_CALLS });
for (const { label } of keyArguments) {
  const ratio = (keyFigures.get(`JSON.stringify, ${label}`) ?? NaN) / (keyFigures.get(`canonical encoding, ${label}`) ?? NaN);
  target(`canonical encoding of a ${label}: no slower than JSON.stringify (>= 1.0x)`, ratio, 1, { atLeast: true });
}

const memoryNames = { ours: 'cachier memory core', memoizee: 'memoizee (JSON normalizer)', pMemoize: 'p-memoize (JSON key)' };
const memorySync = cachier((/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request), {
  backend: 'memory',
  id: 'bench/floors#memory-sync',
});
const memoryAsync = cachier(async (/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request), {
  backend: 'memory',
  id: 'bench/floors#memory-async',
});
const memoizeeS = memoizeeSync(quoteOf);
// 100 distinct 1 KB arguments (the one of the keys table, with its page number changed).
const kilobyteRequests = Array.from({ length: 100 }, (_, page) => ({ .../** @type {object} */ (keyArguments[1]?.args[0]), page }));
const countRecords = (/** @type {{ records: unknown[] }} */ request) => request.records.length;
const memoryKilobyte = cachier(countRecords, { backend: 'memory', id: 'bench/floors#memory-1kb' });
const memoizeeKilobyte = memoizeeSync(countRecords);
const memoizeeA = memoizeeAsync(async (/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request));
const pMemo = pMemoized(async (/** @type {{ symbol: string, days: number }} */ request) => quoteOf(request));
/** @type {Contender[]} */
const memoryContenders = [
  { name: `${memoryNames.ours}, sync`, sync: true, call: (i) => memorySync(requestFor(i % 100)) },
  { name: `${memoryNames.memoizee}, sync`, sync: true, call: (i) => memoizeeS(requestFor(i % 100)) },
  { name: `${memoryNames.ours}, async`, call: (i) => memoryAsync(requestFor(i % 100)) },
  { name: `${memoryNames.memoizee}, async`, call: (i) => memoizeeA(requestFor(i % 100)) },
  { name: `${memoryNames.pMemoize}, async`, call: (i) => pMemo(requestFor(i % 100)) },
  { name: `${memoryNames.ours}, sync, 1 KB argument`, sync: true, call: (i) => memoryKilobyte(kilobyteRequests[i % 100]) },
  { name: `${memoryNames.memoizee}, sync, 1 KB argument`, sync: true, call: (i) => memoizeeKilobyte(kilobyteRequests[i % 100]) },
];
const memoryFigures = await interleaved(memoryContenders, { rounds: ROUNDS, calls: MEMORY_CALLS });
for (const flavour of ['sync', 'async']) {
  const ratio =
    (memoryFigures.get(`${memoryNames.ours}, ${flavour}`) ?? NaN) / (memoryFigures.get(`${memoryNames.memoizee}, ${flavour}`) ?? NaN);
  target(`memory-core hit, ${flavour}: <= 1.0x memoizee`, ratio, 1);
}
target(
  'memory-core hit, async: >= 1.0x p-memoize (p-memoize time / ours)',
  (memoryFigures.get(`${memoryNames.pMemoize}, async`) ?? NaN) / (memoryFigures.get(`${memoryNames.ours}, async`) ?? NaN),
  1,
  { atLeast: true },
);

// ------------------------------------------------------------ large values

/**
 * One call of `call`, with the longest stretch the event loop was blocked
 * during it (a timer ticking every millisecond records the gaps).
 * @param {() => unknown} call
 */
async function blockingOf(call) {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  await new Promise((done) => setTimeout(done, 5));
  last = performance.now();
  const started = performance.now();
  await call();
  const totalMs = performance.now() - started;
  longest = Math.max(longest, performance.now() - last);
  clearInterval(ticker);
  return { totalMs, longestMs: longest };
}

const LARGE = budget([1, 50], [1]);
/** Calls per large-value row; the median is kept, as single calls swing with the machine's load. */
const LARGE_CALLS = budget(5, 1);
/** @type {import('../lib/report.mjs').Row[]} */
const largeRows = [];
for (const megabytes of LARGE) {
  const value = { payload: Buffer.alloc(megabytes * 2 ** 20, 7) };
  for (const [label, build] of /** @type {const} */ ([
    ['cachier file core', cachier],
    ['before: cachier file core', baseline],
  ])) {
    if (!build) continue;
    const big = build(async (/** @type {number} */ i) => ({ ...value, i }), {
      backend: 'file',
      cacheDir: makeTempDir('floors-large'),
      id: `bench/floors#large-${megabytes}`,
      sourceHash: 'floors-v1',
    });
    /** @type {Record<'miss' | 'hit', { totalMs: number, longestMs: number }[]>} */
    const figures = { miss: [], hit: [] };
    for (let i = 0; i < LARGE_CALLS; i++) {
      figures.miss.push(await blockingOf(() => big(i)));
      figures.hit.push(await blockingOf(() => big(i)));
    }
    for (const kind of /** @type {const} */ (['miss', 'hit'])) {
      largeRows.push({
        contender: `${label}, ${megabytes} MB value, ${kind}`,
        value: median(figures[kind].map((figure) => figure.totalMs)) * 1000,
        longest: formatNumber(median(figures[kind].map((figure) => figure.longestMs))),
        note: '',
      });
    }
  }
}

// Named by where the stores were, so a run on disk and one on a tmpfs both keep their results.
publish(onTmpfs ? 'floors-tmpfs' : 'floors-disk', {
  title: `Scenario 8: floors, stores ${onTmpfs ? 'on a tmpfs' : 'on disk'} (${process.env['BENCH_DIR'] || tmpdir()})`,
  tables: [
    tableOf(
      `Miss, small value (${entryBytes.length}-byte entry), ${ROUNDS} interleaved rounds of ${MISS_CALLS} calls`,
      missContenders,
      missFigures,
      'cachier file core miss, async function',
    ),
    tableOf(
      `Hit, small value, 100 keys, ${ROUNDS} interleaved rounds of ${HIT_CALLS} calls`,
      hitContenders,
      hitFigures,
      'cachier file core hit, sync function',
    ),
    tableOf(`Keys, ${ROUNDS} interleaved rounds of ${KEY_CALLS} calls`, keyContenders, keyFigures, 'canonical encoding, small object'),
    tableOf(
      `Memory hit, 100 keys, ${ROUNDS} interleaved rounds of ${MEMORY_CALLS} calls`,
      memoryContenders,
      memoryFigures,
      `${memoryNames.ours}, sync`,
    ),
    {
      title: `Large values, async function, median of ${LARGE_CALLS} calls`,
      valueLabel: 'µs/call',
      ours: 'cachier file core, 1 MB value, miss',
      extraColumns: [{ key: 'longest', label: 'longest event-loop block, ms (median)' }],
      rows: largeRows,
    },
  ],
  targets,
  onTmpfs,
});
