/**
 * Scenario: what a cached function costs the code around it that never
 * touches cachier. A loop of awaits is timed before and after cached async
 * functions have computed, in one process per Node version (the one running
 * the bench, and Node 22 and 24 where test/support/node-versions has them):
 * an async context (AsyncLocalStorage on Node 20 and 22) would make every
 * later await of the process slower.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber, publish } from '../lib/report.mjs';
import { benchDir, quick } from '../lib/settings.mjs';
import { makeTempDir } from '../lib/temp-dir.mjs';

const LIMIT = 1.05;
const repoRoot = join(benchDir, '..');
const runtime = join(repoRoot, 'dist/runtime/index.js');
const otherNodes = ['node22', 'node24']
  .map((name) => join(repoRoot, 'test/support/node-versions/node_modules', name, 'bin/node'))
  .filter((binary) => existsSync(binary));

/** @type {import('../lib/report.mjs').Table} */
const table = {
  title: 'A loop of awaits in code that never touches cachier, µs per await (fastest loop)',
  valueLabel: 'after / before',
  rows: [],
  extraColumns: [
    { key: 'beforeUs', label: 'µs before any cached call' },
    { key: 'afterUs', label: 'µs after cached async calls' },
  ],
};
const targets = [];

for (const node of [process.execPath, ...otherNodes]) {
  const worker = join(benchDir, 'workers/await-cost-worker.mjs');
  const child = spawnSync(node, [worker, runtime, makeTempDir('await-cost'), quick ? '1' : '0'], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`await-cost worker failed on ${node}: ${child.stderr}`);
  const { node: version, beforeUs, afterUs } = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}');
  const ratio = afterUs / beforeUs;
  table.rows.push({ contender: `Node ${version}`, value: ratio, beforeUs, afterUs, note: '' });
  targets.push({
    claim: `awaits after cached calls, Node ${version.split('.')[0]}: <= ${LIMIT}x before`,
    met: ratio <= LIMIT,
    measured: `${formatNumber(ratio)}x`,
  });
}

publish('await-cost', { title: 'Scenario: the await cost of code outside cached functions', tables: [table], targets });
