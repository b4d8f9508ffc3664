/**
 * Prints the results in bench/results/*.json as Markdown tables, for
 * docs/performance.md: `node bench/markdown.mjs > /tmp/tables.md`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber, ratioToOurs } from './lib/report.mjs';
import { resultsDir } from './lib/settings.mjs';

const ORDER = ['hit-cost', 'scaling', 'key-derivation', 'cross-process', 'cold-start', 'mongo'];

/**
 * @param {unknown} cell
 * @returns {string}
 */
function cellText(cell) {
  if (cell === undefined || cell === '') return '';
  return typeof cell === 'number' ? formatNumber(cell) : String(cell);
}

/**
 * @param {import('./lib/report.mjs').Table} table
 * @returns {string}
 */
function markdownTable(table) {
  const extra = table.extraColumns ?? [];
  const withRatio = table.ours !== undefined;
  const header = ['contender', table.valueLabel, ...(withRatio ? ['peer/ours'] : []), ...extra.map((column) => column.label), 'note'];
  const rows = table.rows.map((row) => {
    if (row.unavailable !== undefined) {
      return [row.contender, `n/a: ${row.unavailable}`, ...header.slice(2).map(() => '')];
    }
    const ratio = ratioToOurs(table, row);
    const ratioCell = row.contender === table.ours ? '(ours)' : ratio === undefined ? '' : `${formatNumber(ratio)}x`;
    const contender = row.contender === table.ours ? `**${row.contender}**` : row.contender;
    return [
      contender,
      cellText(row.value),
      ...(withRatio ? [ratioCell] : []),
      ...extra.map((column) => cellText(/** @type {Record<string, unknown>} */ (row)[column.key])),
      row.note ?? '',
    ];
  });
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [`**${table.title}**`, '', line(header), line(header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

const files = readdirSync(resultsDir).filter((name) => name.endsWith('.json'));
const scenarios = ORDER.filter((name) => files.includes(`${name}.json`));
for (const scenario of scenarios) {
  const result = JSON.parse(readFileSync(join(resultsDir, `${scenario}.json`), 'utf8'));
  console.log(`### ${result.title}\n`);
  console.log(`Measured ${result.date.slice(0, 10)} on ${result.machine.cores} cores (${result.machine.cpu}), Node ${result.machine.node}.\n`);
  for (const table of result.tables) console.log(`${markdownTable(table)}\n`);
}
