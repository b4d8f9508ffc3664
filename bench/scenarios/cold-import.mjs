/**
 * Scenario 10 (issue 23): a cold `import('cachier')` for the runtime API,
 * against p-memoize and memoizee, in one run of interleaved rounds: each
 * round starts one fresh Node process per contender and case, in turn, and
 * each process times its own work (wall clock and CPU), so start-up, the same
 * for every contender, is left out. The median round is kept.
 *
 * Two cases: the import alone (the issue's target), and the import with the
 * first call of a wrapped async function, which also pays what the runtime
 * defers until a function is called (Node's `crypto`, `zlib` and `v8`
 * modules; see `runtime/node-builtins.ts`).
 *
 * What drives cachier's import is the number of files and built-in modules it
 * loads: in a CPU profile Node's ES module loader (resolve, read, compile,
 * link) takes most of the time, the modules' own top-level code next to
 * nothing. That is why the runtime's entries are bundled
 * (`scripts/bundle.mjs`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/interleaved.mjs';
import { formatNumber, publish } from '../lib/report.mjs';
import { benchDir, budget } from '../lib/settings.mjs';

const ROUNDS = budget(31, 3);
/** Issue 23's target: at most this many times p-memoize's cold import. */
const LIMIT = 2;
const repoRoot = join(benchDir, '..');
const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-bench-cold-'));

/**
 * Each contender: what its process imports, and the code that wraps an async
 * function and calls it once (`module` is the imported namespace).
 */
const CONTENDERS = [
  {
    name: 'cachier (runtime API)',
    specifier: pathToFileURL(join(repoRoot, 'dist/runtime/index.js')).href,
    firstCall: `await module.cachier(async (x) => x * 2, { id: 'cold-import', backend: 'memory' })(21);`,
  },
  {
    name: 'cachier, file backend (default)',
    specifier: pathToFileURL(join(repoRoot, 'dist/runtime/index.js')).href,
    firstCall: `await module.cachier(async (x) => x * 2, { id: 'cold-import-' + process.pid, cacheDir: ${JSON.stringify(cacheDir)} })(21);`,
    firstCallOnly: true,
  },
  { name: 'p-memoize', specifier: 'p-memoize', firstCall: 'await module.default(async (x) => x * 2)(21);' },
  { name: 'memoizee', specifier: 'memoizee', firstCall: 'await module.default(async (x) => x * 2, { promise: true })(21);' },
];

/** Runs in the fresh process: times the import (and, when given, the first call), wall clock and CPU. */
const childCode = (firstCall) => `
const cpu = process.cpuUsage();
const started = performance.now();
const module = await import(process.argv[1]);
${firstCall}
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));
`;

const CASES = [
  { name: 'import', contenders: CONTENDERS.filter((contender) => !contender.firstCallOnly), code: () => childCode('') },
  { name: 'import and first call', contenders: CONTENDERS, code: (contender) => childCode(contender.firstCall) },
];

/** @type {Map<string, { wall: number[], cpu: number[] }>} */
const samples = new Map();
const samplesOf = (caseName, name) => {
  const key = `${caseName}\u0000${name}`;
  if (!samples.has(key)) samples.set(key, { wall: [], cpu: [] });
  return /** @type {{ wall: number[], cpu: number[] }} */ (samples.get(key));
};
try {
  for (let round = -1; round < ROUNDS; round++) {
    for (const { name: caseName, contenders, code } of CASES) {
      for (const contender of contenders) {
        const output = execFileSync(process.execPath, ['--input-type=module', '-e', code(contender), contender.specifier], {
          cwd: repoRoot,
          encoding: 'utf8',
        });
        const { wallMs, cpuMs } = JSON.parse(output);
        if (round < 0) continue;
        const sample = samplesOf(caseName, contender.name);
        sample.wall.push(wallMs);
        sample.cpu.push(cpuMs);
      }
    }
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}

const wallOf = (caseName, name) => median(samplesOf(caseName, name).wall);
const ratio = wallOf('import', 'cachier (runtime API)') / wallOf('import', 'p-memoize');
const firstCallRatio = wallOf('import and first call', 'cachier (runtime API)') / wallOf('import and first call', 'p-memoize');

publish('cold-import', {
  title: 'Cold import of the runtime API in a fresh process',
  tables: CASES.map(({ name: caseName, contenders }) => ({
    title:
      caseName === 'import'
        ? `import('cachier') against its peers, median of ${ROUNDS} interleaved rounds`
        : `import, wrap an async function and call it once, median of ${ROUNDS} interleaved rounds`,
    valueLabel: 'median wall ms',
    ours: 'cachier (runtime API)',
    rows: contenders.map(({ name }) => ({
      contender: name,
      value: wallOf(caseName, name),
      cpu: median(samplesOf(caseName, name).cpu),
    })),
    extraColumns: [{ key: 'cpu', label: 'median CPU ms' }],
  })),
  targets: [
    {
      claim: `cold import('cachier') costs at most ${LIMIT}x p-memoize's`,
      met: ratio <= LIMIT,
      measured: `${formatNumber(ratio)}x (target ${LIMIT}x${ratio > LIMIT ? `, missed by ${formatNumber((ratio / LIMIT - 1) * 100)}%` : ''}); with the first call of a memory-backed function ${formatNumber(firstCallRatio)}x`,
    },
  ],
});
