/**
 * A log-log line chart as hand-written SVG: a few dozen lines, no chart
 * library. Both axes are logarithmic because the curves span four orders of
 * magnitude (a 2 µs hit beside a 100 ms debounced write).
 */

/**
 * @typedef {object} Series
 * @property {string} label
 * @property {string} color
 * @property {boolean} [dashed]
 * @property {{ x: number, y: number }[]} points
 */

const WIDTH = 860;
const HEIGHT = 460;
const MARGIN = { left: 90, right: 270, top: 40, bottom: 50 };

/**
 * @param {string} text
 * @returns {string}
 */
function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * @param {number} value
 * @returns {string}
 */
function tickLabel(value) {
  if (value >= 1000) return value.toLocaleString('en-US');
  return String(value);
}

/**
 * Powers of ten covering [min, max].
 * @param {number} min
 * @param {number} max
 * @returns {number[]}
 */
function decades(min, max) {
  const ticks = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent++) ticks.push(10 ** exponent);
  return ticks;
}

/**
 * Renders series on log-log axes.
 * @param {{ title: string, xLabel: string, yLabel: string, series: Series[] }} chart
 * @returns {string} the SVG document
 */
export function renderLogLogChart(chart) {
  const points = chart.series.flatMap((series) => series.points).filter((point) => point.x > 0 && point.y > 0);
  if (points.length === 0) throw new Error('chart: no positive points to draw');
  const xTicks = decades(Math.min(...points.map((p) => p.x)), Math.max(...points.map((p) => p.x)));
  const yTicks = decades(Math.min(...points.map((p) => p.y)), Math.max(...points.map((p) => p.y)));
  const [xMin, xMax] = [Math.log10(xTicks[0] ?? 1), Math.log10(xTicks.at(-1) ?? 10)];
  const [yMin, yMax] = [Math.log10(yTicks[0] ?? 1), Math.log10(yTicks.at(-1) ?? 10)];
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xOf = (/** @type {number} */ x) => MARGIN.left + ((Math.log10(x) - xMin) / (xMax - xMin || 1)) * plotWidth;
  const yOf = (/** @type {number} */ y) => MARGIN.top + plotHeight - ((Math.log10(y) - yMin) / (yMax - yMin || 1)) * plotHeight;
  const round = (/** @type {number} */ value) => value.toFixed(1);

  const grid = [
    ...xTicks.map(
      (x) =>
        `<line x1="${round(xOf(x))}" y1="${MARGIN.top}" x2="${round(xOf(x))}" y2="${MARGIN.top + plotHeight}" class="grid"/>` +
        `<text x="${round(xOf(x))}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${tickLabel(x)}</text>`,
    ),
    ...yTicks.map(
      (y) =>
        `<line x1="${MARGIN.left}" y1="${round(yOf(y))}" x2="${MARGIN.left + plotWidth}" y2="${round(yOf(y))}" class="grid"/>` +
        `<text x="${MARGIN.left - 8}" y="${round(yOf(y) + 4)}" text-anchor="end">${tickLabel(y)}</text>`,
    ),
  ];
  const lines = chart.series.map((series, index) => {
    const path = series.points.map((point) => `${round(xOf(point.x))},${round(yOf(point.y))}`).join(' ');
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    const dots = series.points
      .map((point) => `<circle cx="${round(xOf(point.x))}" cy="${round(yOf(point.y))}" r="3" fill="${series.color}"/>`)
      .join('');
    const legendY = MARGIN.top + 10 + index * 20;
    const legendX = MARGIN.left + plotWidth + 16;
    return (
      `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>${dots}` +
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 24}" y2="${legendY}" stroke="${series.color}" stroke-width="2"${dash}/>` +
      `<text x="${legendX + 30}" y="${legendY + 4}">${escapeXml(series.label)}</text>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    '<style>.grid{stroke:#ddd;stroke-width:1}</style>',
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
    ...grid,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888"/>`,
    ...lines,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
