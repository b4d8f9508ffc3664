import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, quick, resultsDir } from './settings.mjs';

/**
 * @typedef {object} Row
 * @property {string} contender
 * @property {number} [value] - the figure compared (lower is better), e.g. median µs per call.
 * @property {string} [unavailable] - why this contender cannot do the scenario; printed as "n/a: <reason>".
 * @property {string} [note] - a short remark printed after the figures.
 * Other properties are extra columns named by {@link Table.extraColumns}.
 */

/**
 * @typedef {object} Table
 * @property {string} title
 * @property {string} valueLabel - what {@link Row.value} is, e.g. "median µs/call".
 * @property {string} [ours] - the contender the ratios are taken against; none: no ratio column.
 * @property {Row[]} rows
 * @property {{ key: string, label: string }[]} [extraColumns]
 */

/**
 * The ratio of each row to ours: peer / ours, so above 1 means cachier is faster.
 * @param {Table} table
 * @param {Row} row
 * @returns {number | undefined}
 */
export function ratioToOurs(table, row) {
  const ours = table.rows.find((candidate) => candidate.contender === table.ours)?.value;
  if (row.value === undefined || ours === undefined || ours <= 0) return undefined;
  return row.value / ours;
}

/**
 * Formats a figure with about three significant digits.
 * @param {number} value
 * @returns {string}
 */
export function formatNumber(value) {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/**
 * @param {unknown} cell
 * @returns {string}
 */
function formatCell(cell) {
  if (cell === undefined) return '';
  return typeof cell === 'number' ? formatNumber(cell) : String(cell);
}

/**
 * The column titles of a table, shared by the terminal and Markdown renderings.
 * @param {Table} table
 * @returns {string[]}
 */
export function tableHeader(table) {
  const extra = table.extraColumns ?? [];
  return [
    'contender',
    table.valueLabel,
    ...(table.ours !== undefined ? ['peer/ours'] : []),
    ...extra.map((column) => column.label),
    'note',
  ];
}

/**
 * The cells of a row whose contender could run the scenario, in {@link tableHeader}'s order.
 * @param {Table} table
 * @param {Row} row
 * @returns {string[]}
 */
export function tableRowCells(table, row) {
  const ratio = ratioToOurs(table, row);
  const ratioCell = row.contender === table.ours ? '(ours)' : ratio === undefined ? '' : `${formatNumber(ratio)}x`;
  return [
    row.contender,
    formatCell(row.value),
    ...(table.ours !== undefined ? [ratioCell] : []),
    ...(table.extraColumns ?? []).map((column) => formatCell(/** @type {Record<string, unknown>} */ (row)[column.key])),
    row.note ?? '',
  ];
}

/**
 * Renders a table as aligned plain text.
 * @param {Table} table
 * @returns {string}
 */
function formatTable(table) {
  const header = tableHeader(table);
  const lines = table.rows.map((row) =>
    row.unavailable !== undefined ? [row.contender, `n/a: ${row.unavailable}`] : tableRowCells(table, row),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line.length > 2 || column === 0 ? (line[column] ?? '').length : 0))),
  );
  const render = (/** @type {string[]} */ cells) =>
    cells
      .map((cell, column) => {
        const isText = column === 0 || column === cells.length - 1 || cells.length === 2;
        return isText ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0);
      })
      .join('  ')
      .trimEnd();
  return [`## ${table.title}`, render(header), ...lines.map(render)].join('\n');
}

/**
 * Adds each row's ratio to ours, for the JSON file.
 * @param {Table} table
 */
function withRatios(table) {
  return { ...table, rows: table.rows.map((row) => ({ ...row, ratioToOurs: ratioToOurs(table, row) })) };
}

/**
 * @typedef {object} Target
 * @property {string} claim - what must hold, e.g. "each key computed once across processes".
 * @property {boolean} met
 * @property {string} measured - what was measured, e.g. "1,000 computations".
 */

/**
 * Prints a scenario's tables and targets and writes them, with the date and
 * the machine, to `<results>/<scenario>.json`. A missed target (outside
 * quick mode) sets the exit code to 1, so `npm run bench` fails while still
 * printing every figure.
 *
 * @param {string} scenario - file name, e.g. "hit-cost".
 * @param {{ title: string, tables: Table[], targets?: Target[], [extra: string]: unknown }} result
 */
export function publish(scenario, result) {
  console.log(`\n# ${result.title}\n`);
  for (const table of result.tables) console.log(`${formatTable(table)}\n`);
  for (const target of result.targets ?? []) {
    console.log(`target ${target.met ? 'met' : 'MISSED'}: ${target.claim} (measured: ${target.measured})`);
    // Quick mode's figures are too few to judge by.
    if (!target.met && !quick) process.exitCode = 1;
  }
  // bench/run.mjs gathers every scenario's targets into one summary at the end.
  const targetsFile = process.env['BENCH_TARGETS_FILE'];
  if (targetsFile) {
    for (const target of result.targets ?? []) appendFileSync(targetsFile, `${JSON.stringify({ scenario, ...target })}\n`);
  }
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${scenario}.json`);
  const payload = {
    scenario,
    date: new Date().toISOString(),
    machine: machine(),
    quick,
    ...result,
    tables: result.tables.map(withRatios),
  };
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
}
