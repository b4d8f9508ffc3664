/**
 * Renders the results in bench/results/*.json as Markdown tables, for
 * docs/performance.md. `node bench/markdown.mjs` prints them;
 * `node bench/markdown.mjs --update-docs` replaces the part of
 * docs/performance.md between its `results:start` and `results:end` markers.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber, tableHeader, tableRowCells } from './lib/report.mjs';
import { benchDir, resultsDir } from './lib/settings.mjs';

const ORDER = [
  'hit-cost',
  'scaling',
  'key-derivation',
  'cross-process',
  'cold-start',
  'mongo',
  'shared-backends',
  'floors-disk',
  'floors-tmpfs',
  'build-time',
  'cold-import',
];

/**
 * @param {import('./lib/report.mjs').Table} table
 * @returns {string}
 */
function markdownTable(table) {
  const header = tableHeader(table);
  const rows = table.rows.map((row) => {
    if (row.unavailable !== undefined) {
      return [row.contender, `n/a: ${row.unavailable}`, ...header.slice(2).map(() => '')];
    }
    const [contender = '', ...rest] = tableRowCells(table, row);
    return [row.contender === table.ours ? `**${contender}**` : contender, ...rest];
  });
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [
    `**${table.title}**`,
    '',
    line(header),
    line(header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '---:'))),
    ...rows.map(line),
  ].join('\n');
}

/**
 * The scaling curves as two compact tables (hit, miss): one row per store,
 * one column per size, each cell "µs (peer/ours)", and the growth from the
 * smallest to the largest size.
 * @param {{ curves: Record<string, { entries: number, hitUs?: number, missUs?: number, skipped?: string }[]> }} result
 * @returns {string}
 */
function scalingTables(result) {
  const names = Object.keys(result.curves);
  const sizes = [...new Set(Object.values(result.curves).flatMap((points) => points.map((point) => point.entries)))];
  const ours = result.curves['cachier file core'] ?? [];
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return /** @type {const} */ (['hitUs', 'missUs'])
    .map((field) => {
      const header = ['median µs/call (peer/ours)', ...sizes.map((size) => `${size.toLocaleString('en-US')} entries`), 'growth'];
      const rows = names.map((name) => {
        const points = result.curves[name] ?? [];
        const cells = sizes.map((size) => {
          const point = points.find((candidate) => candidate.entries === size);
          const value = point?.skipped ? undefined : point?.[field];
          if (value === undefined) return point?.skipped ? `n/a: ${point.skipped}` : 'n/a';
          const base = ours.find((candidate) => candidate.entries === size)?.[field];
          return name === 'cachier file core' || base === undefined
            ? formatNumber(value)
            : `${formatNumber(value)} (${formatNumber(value / base)}x)`;
        });
        const measured = points.filter((point) => !point.skipped && point[field] !== undefined);
        const first = measured[0]?.[field];
        const last = measured.at(-1)?.[field];
        const growth = first && last ? `${formatNumber(last / first)}x` : '';
        return [name === 'cachier file core' ? `**${name}**` : name, ...cells, growth];
      });
      return [
        `**${field === 'hitUs' ? 'Hit' : 'Miss (compute and store)'}**`,
        '',
        line(header),
        line(header.map((_, i) => (i === 0 ? '---' : '---:'))),
        ...rows.map(line),
      ].join('\n');
    })
    .join('\n\n');
}

const files = readdirSync(resultsDir).filter((name) => name.endsWith('.json'));
const sections = [];
for (const scenario of ORDER.filter((name) => files.includes(`${name}.json`))) {
  const result = JSON.parse(readFileSync(join(resultsDir, `${scenario}.json`), 'utf8'));
  const tables =
    scenario === 'scaling'
      ? [scalingTables(result), ...result.tables.filter((table) => table.title.startsWith('Flatness')).map(markdownTable)]
      : result.tables.map(markdownTable);
  const measured = `Measured ${result.date.slice(0, 10)} on ${result.machine.cores} cores (${result.machine.cpu}), Node ${result.machine.node}.`;
  /** @type {import('./lib/report.mjs').Target[]} */
  const targets = result.targets ?? [];
  const checked = targets
    .map((target) => `- ${target.met ? 'met' : '**missed**'}: ${target.claim} (measured ${target.measured})`)
    .join('\n');
  sections.push([`### ${result.title}`, measured, ...tables, ...(checked ? [checked] : [])].join('\n\n'));
}
const markdown = sections.join('\n\n');

if (process.argv.includes('--update-docs')) {
  const docs = join(benchDir, '..', 'docs', 'performance.md');
  const text = readFileSync(docs, 'utf8');
  const updated = text.replace(
    /(<!-- results:start -->\n)[\s\S]*?(<!-- results:end -->)/,
    (_, start, end) => `${start}${markdown}\n${end}`,
  );
  if (updated === text && !text.includes(markdown)) throw new Error(`bench: no results:start / results:end markers in ${docs}`);
  writeFileSync(docs, updated);
} else {
  console.log(markdown);
}
