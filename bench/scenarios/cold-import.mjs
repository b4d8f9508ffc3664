/**
 * Scenario 10 (issue 23): a cold `import('cachier')` for the runtime API,
 * against p-memoize and memoizee, in one run of interleaved rounds: each
 * round starts one fresh Node process per contender, in turn, and each
 * process times its own import (wall clock and CPU), so start-up, the same
 * for every contender, is left out. The median round is kept.
 *
 * What drives cachier's figure is the number of modules it loads: in a CPU
 * profile Node's ES module loader (resolve, read, compile, link) takes most
 * of the time, the modules' own top-level code next to nothing.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/interleaved.mjs';
import { formatNumber, publish } from '../lib/report.mjs';
import { benchDir, budget } from '../lib/settings.mjs';

const ROUNDS = budget(31, 3);
/** Issue 23's target: at most this many times p-memoize's cold import. */
const LIMIT = 2;
const repoRoot = join(benchDir, '..');

/** What each contender's process imports (resolved from the repository, where the peers are devDependencies). */
const CONTENDERS = [
  { name: 'cachier (runtime API)', specifier: pathToFileURL(join(repoRoot, 'dist/runtime/index.js')).href },
  { name: 'p-memoize', specifier: 'p-memoize' },
  { name: 'memoizee', specifier: 'memoizee' },
];

/** Runs in the fresh process: times the import, wall clock and CPU. */
const CHILD = `
const cpu = process.cpuUsage();
const started = performance.now();
await import(process.argv[1]);
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));
`;

/** @type {Map<string, { wall: number[], cpu: number[] }>} */
const samples = new Map(CONTENDERS.map(({ name }) => [name, { wall: [], cpu: [] }]));
for (let round = -1; round < ROUNDS; round++) {
  for (const { name, specifier } of CONTENDERS) {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, specifier], { cwd: repoRoot, encoding: 'utf8' });
    const { wallMs, cpuMs } = JSON.parse(output);
    if (round < 0) continue;
    samples.get(name)?.wall.push(wallMs);
    samples.get(name)?.cpu.push(cpuMs);
  }
}

const wallOf = (name) => median(samples.get(name)?.wall ?? []);
const ratio = wallOf('cachier (runtime API)') / wallOf('p-memoize');

publish('cold-import', {
  title: 'Cold import of the runtime API in a fresh process',
  tables: [
    {
      title: `import('cachier') against its peers, median of ${ROUNDS} interleaved rounds`,
      valueLabel: 'median wall ms',
      ours: 'cachier (runtime API)',
      rows: CONTENDERS.map(({ name }) => ({
        contender: name,
        value: wallOf(name),
        cpu: median(samples.get(name)?.cpu ?? []),
      })),
      extraColumns: [{ key: 'cpu', label: 'median CPU ms' }],
    },
  ],
  targets: [
    {
      claim: `cold import('cachier') costs at most ${LIMIT}x p-memoize's`,
      met: ratio <= LIMIT,
      measured: `${formatNumber(ratio)}x (target ${LIMIT}x${ratio > LIMIT ? `, missed by ${formatNumber((ratio / LIMIT - 1) * 100)}%` : ''})`,
    },
  ],
});
