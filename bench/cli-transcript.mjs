/**
 * A transcript of the `cachier` command on a cache of 100,000 entries, with
 * the wall time of each command. The cache is made by real cached calls of
 * the built runtime: a current function with stale entries, a function with
 * an old source-hash version, a small one, plus a damaged entry and an
 * abandoned mark.
 *
 * Usage: npm run build && node bench/cli-transcript.mjs [output.md]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachier, setDefaults } from '../dist/runtime/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');
const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-100k-'));
const HOUR = 3_600_000;

/** Stores `count` entries of one function through cached calls, dated `ageMs` ago. */
function fill({ id, sourceHash = 'v1', staleAfter, from = 0, count, ageMs = 0 }) {
  setDefaults({ cacheDir, clock: () => Date.now() - ageMs });
  const fn = cachier((key) => ({ id, key, values: [key, key * 2, key * 3] }), { id, sourceHash, ...(staleAfter ? { staleAfter } : {}) });
  for (let key = from; key < from + count; key++) fn(key);
}

const started = performance.now();
fill({ id: 'src/prices.ts#fetchPrices', staleAfter: '1h', count: 20_000, ageMs: 2 * HOUR });
fill({ id: 'src/prices.ts#fetchPrices', staleAfter: '1h', from: 20_000, count: 40_000 });
fill({ id: 'src/report.ts#render', sourceHash: 'before-edit', count: 15_000 });
fill({ id: 'src/report.ts#render', sourceHash: 'after-edit', count: 20_000 });
fill({ id: 'src/geo.ts#lookup', count: 5_000 });
const filledMs = performance.now() - started;

// The old version has not been used for two days; one entry is damaged; a killed process left a mark.
const run = (args) => {
  const began = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CACHIER_DIR: cacheDir, NO_COLOR: '1' },
  });
  return { ...result, ms: performance.now() - began };
};
const { functions } = JSON.parse(run(['ls', '--json']).stdout);
const render = functions.find((fn) => fn.id === 'src/report.ts#render');
const old = render.versions.find((version) => version.sourceHash === 'before-edit').location;
const twoDaysAgo = new Date(Date.now() - 48 * HOUR);
utimesSync(join(old, 'used'), twoDaysAgo, twoDaysAgo);
const geo = functions.find((fn) => fn.id === 'src/geo.ts#lookup').versions[0].location;
const shard = join(geo, 'entries', readdirSync(join(geo, 'entries'))[0]);
const damaged = join(shard, readdirSync(shard)[0]);
const bytes = readFileSync(damaged);
bytes[bytes.length - 1] ^= 0xff;
writeFileSync(damaged, bytes);
mkdirSync(join(geo, 'marks'), { recursive: true });
const mark = join(geo, 'marks', `${'ab'.repeat(32)}.mark`);
writeFileSync(mark, JSON.stringify({ token: 't', pid: 1, host: hostname(), leaseMs: 30_000 }));
utimesSync(mark, new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));

const commands = [
  ['ls'],
  ['show', 'src/prices.ts#fetchPrices', '--limit', '5'],
  ['stats'],
  ['verify'],
  ['prune', '--dry-run'],
  ['prune', '--yes'],
  ['verify', '--fix', '--yes'],
  ['clear', 'src/geo.ts*', '--yes'],
  ['ls'],
  ['ls', '--json'],
];

const lines = [
  `# cachier CLI on a cache of 100,000 entries`,
  '',
  `Node ${process.version}, ${new Date().toISOString()}; cache filled by 100,000 cached calls in ${(filledMs / 1000).toFixed(1)} s.`,
  '',
  '| command | exit | wall time |',
  '|---|---|---|',
];
const transcript = [];
for (const args of commands) {
  const result = run(args);
  lines.push(`| \`cachier ${args.join(' ')}\` | ${result.status} | ${(result.ms / 1000).toFixed(2)} s |`);
  const shown = args.includes('--json') ? `${result.stdout.split('\n').slice(0, 12).join('\n')}\n...` : result.stdout + result.stderr;
  transcript.push(`$ cachier ${args.join(' ')}    # exit ${result.status}, ${(result.ms / 1000).toFixed(2)} s`, shown.trimEnd(), '');
}
lines.push('', '```text', ...transcript, '```', '');
const text = lines.join('\n');
if (process.argv[2]) writeFileSync(process.argv[2], text);
process.stdout.write(text);
