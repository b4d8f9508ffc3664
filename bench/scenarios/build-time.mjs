/**
 * Build-time overhead of the tag, on a generated project of 300 modules with
 * 100 tagged functions (each calling helpers and reading constants of three
 * other modules), each route against the same build without cachier:
 *
 * - `tspc` (ts-patch, this repository's TypeScript 5.9) with the program
 *   transformer against `tspc` without it: clean builds, and `tspc --watch`
 *   rebuilds after a one-line edit of a helper three tagged functions use
 *   (from tsc's "File change detected" line to its "Watching for file
 *   changes" line, so the watcher's 250 ms debounce is left out);
 * - `cachier-tsc` against plain `tsc` of TypeScript 7.0.2: clean builds;
 * - `vite build` (an SSR bundle of the same modules, in a fresh process)
 *   with `cachier/vite` against without it.
 *
 * Clean builds are interleaved (each round runs every contender once) and
 * the medians compared. BENCH_BASELINE=<a folder holding another build of
 * this package, with its dist/ and node_modules> adds that build's rows
 * ("before"), measured in the same rounds.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatNumber, publish } from '../lib/report.mjs';
import { benchDir, quick } from '../lib/settings.mjs';
import { makeTempDir } from '../lib/temp-dir.mjs';

const MODULES = 300;
const TAGGED_EVERY = 3;
const ROUNDS = quick ? 1 : 9;
const WATCH_EDITS = quick ? 1 : 7;
const LIMIT = 1.1;

const repository = resolve(benchDir, '..');
const baseline = process.env['BENCH_BASELINE'] ? resolve(process.env['BENCH_BASELINE']) : undefined;
/** The builds of cachier compared: this one, and the baseline's as "before". */
const packages = [{ suffix: '', dir: repository }, ...(baseline ? [{ suffix: ' (before)', dir: baseline }] : [])];

function moduleSource(index) {
  const imports = [1, 7, 31].map((step) => (index + step) % MODULES).filter((other) => other !== index);
  const lines = imports.map((other) => `import { helper${other}, LIMIT${other} } from './m${other}.js';`);
  lines.push(`export const LIMIT${index} = ${index};`, `export function helper${index}(value: number): number {`, `  return value > LIMIT${index} ? value - ${index} : value + ${index};`, '}');
  const body = imports.map((other) => `helper${other}(value) + LIMIT${other}`).join(' + ');
  if (index % TAGGED_EVERY === 0) lines.push(`/** @cachier staleAfter=1h */`);
  lines.push(`export function compute${index}(value: number): number {`, `  return ${body};`, '}');
  for (let extra = 0; extra < 6; extra += 1) lines.push(`export interface Shape${index}x${extra} { readonly a: number; readonly b: string; readonly c: readonly number[] }`);
  return `${lines.join('\n')}\n`;
}

/** The generated modules, a `package.json`, and `node_modules/cachier` pointing at `cachierDir` when given. */
function makeProject(dir, cachierDir) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (let index = 0; index < MODULES; index += 1) writeFileSync(join(dir, 'src', `m${index}.ts`), moduleSource(index));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'build-time', version: '1.0.0', type: 'module', private: true }));
  if (cachierDir) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(cachierDir, join(dir, 'node_modules/cachier'), 'dir');
  }
  return dir;
}

function writeTsconfig(dir, plugin) {
  const plugins = plugin ? [{ transform: 'cachier/transformer', transformProgram: true }] : [];
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', strict: true, skipLibCheck: true, types: [], outDir: 'dist', rootDir: 'src', sourceMap: true, declaration: true, plugins }, include: ['src'] }),
  );
}

/** A Vite project: the modules, an entry calling every computeN, and a config with `cachier/vite` from `cachierDir` when given. */
function makeViteProject(dir, cachierDir) {
  makeProject(dir, undefined);
  const imports = Array.from({ length: MODULES }, (_, index) => `import { compute${index} } from './m${index}.js';`).join('\n');
  const calls = Array.from({ length: MODULES }, (_, index) => `compute${index}(2)`).join(' + ');
  writeFileSync(join(dir, 'src/main.ts'), `${imports}\n\nconsole.log(${calls});\n`);
  const plugin = cachierDir ? `import cachier from ${JSON.stringify(join(cachierDir, 'dist/transformer/routes/bundlers/vite.js'))};\n` : '';
  writeFileSync(
    join(dir, 'vite.config.mjs'),
    `${plugin}export default { logLevel: 'silent', plugins: [${cachierDir ? 'cachier()' : ''}], build: { ssr: 'src/main.ts', outDir: 'dist', emptyOutDir: true, minify: false, rolldownOptions: { external: ['cachier'] } } };\n`,
  );
  return dir;
}

/** Milliseconds of one clean build (`dist` removed first), in a fresh process. */
function timed(command, args, cwd) {
  rmSync(join(cwd, 'dist'), { recursive: true, force: true });
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}${result.stderr}`);
  return elapsed;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const root = makeTempDir('build-time');
const tspc = join(repository, 'node_modules/ts-patch/bin/tspc.js');
const vite = join(repository, 'node_modules/vite/bin/vite.js');

const tsc7Project = makeProject(join(root, 'tsc7'), undefined);
writeTsconfig(tsc7Project, false);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'error', 'typescript@7.0.2'], { cwd: tsc7Project });
// cachier-tsc's rewrite imports "cachier"; the module must resolve for the emitted code, not for the build.
symlinkSync(repository, join(tsc7Project, 'node_modules/cachier'), 'dir');
const tsc7 = join(tsc7Project, 'node_modules/typescript/bin/tsc');

/**
 * A contender of the clean-build table: `run` builds once and answers milliseconds.
 * @typedef {{ contender: string, base?: string, run: () => number, samples: number[], note?: string }} Contender
 */
/** @type {Contender[]} */
const contenders = [];
const add = (contender, run, base, note) => contenders.push({ contender, run, base, note, samples: [] });

add('tsc 7.0.2', () => timed(process.execPath, [tsc7], tsc7Project));
for (const { suffix, dir } of packages) add(`cachier-tsc (tsc 7.0.2)${suffix}`, () => timed(process.execPath, [join(dir, 'dist/transformer/routes/tsc7/cachier-tsc.js')], tsc7Project), 'tsc 7.0.2');

const tspcPlain = makeProject(join(root, 'tspc-plain'), repository);
writeTsconfig(tspcPlain, false);
add('tspc (TypeScript 5.9)', () => timed(process.execPath, [tspc], tspcPlain));
const tspcProjects = packages.map(({ suffix, dir }, index) => {
  const project = makeProject(join(root, `tspc-plugin-${index}`), dir);
  writeTsconfig(project, true);
  add(`tspc + cachier${suffix}`, () => timed(process.execPath, [tspc], project), 'tspc (TypeScript 5.9)');
  return { suffix, project };
});

const vitePlain = makeViteProject(join(root, 'vite-plain'), undefined);
add('vite build (Vite 8)', () => timed(process.execPath, [vite, 'build'], vitePlain), undefined, 'SSR bundle, fresh process');
for (const [index, { suffix, dir }] of packages.entries()) {
  const project = makeViteProject(join(root, `vite-plugin-${index}`), dir);
  add(`vite build + cachier/vite${suffix}`, () => timed(process.execPath, [vite, 'build'], project), 'vite build (Vite 8)');
}

for (let round = 0; round < ROUNDS; round += 1) for (const contender of contenders) contender.samples.push(contender.run());

/**
 * Median milliseconds of a `tspc --watch` rebuild after a one-line edit of
 * `src/m1.ts`'s helper (used by three tagged functions), `WATCH_EDITS` times.
 */
async function watchRebuilds(project) {
  rmSync(join(project, 'dist'), { recursive: true, force: true });
  const child = spawn(process.execPath, [tspc, '--watch', '--preserveWatchOutput'], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  let waiter;
  let changeSeen;
  const durations = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('File change detected')) changeSeen = performance.now();
      if (line.includes('Watching for file changes')) {
        if (changeSeen !== undefined) durations.push(performance.now() - changeSeen);
        changeSeen = undefined;
        if (!/Found 0 errors/.test(line)) throw new Error(`tspc --watch reported errors in ${project}`);
        waiter?.();
      }
    }
  });
  const nextBuild = () => new Promise((resolvePromise) => (waiter = resolvePromise));
  await nextBuild();
  const helper = join(project, 'src/m1.ts');
  const original = readFileSync(helper, 'utf8');
  for (let edit = 0; edit < WATCH_EDITS; edit += 1) {
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 300));
    const built = nextBuild();
    writeFileSync(helper, edit % 2 === 0 ? original.replace('value - 1 :', 'value - 2 :') : original);
    await built;
  }
  child.kill();
  writeFileSync(helper, original);
  return durations;
}

const watchRows = [];
const plainRebuild = median(await watchRebuilds(tspcPlain));
watchRows.push({ contender: 'tspc --watch (TypeScript 5.9)', value: plainRebuild });
for (const { suffix, project } of tspcProjects) {
  const rebuild = median(await watchRebuilds(project));
  watchRows.push({ contender: `tspc --watch + cachier${suffix}`, value: rebuild, overhead: `${formatNumber(rebuild / plainRebuild)}x` });
}

const medianOf = (label) => median(contenders.find((contender) => contender.contender === label)?.samples ?? []);
const ratioOf = (label) => medianOf(label) / medianOf(/** @type {string} */ (contenders.find((contender) => contender.contender === label)?.base));
const ratioTarget = (claim, ratio) => ({ claim, met: ratio <= LIMIT, measured: `${formatNumber(ratio)}x` });
const watchRatio = /** @type {number} */ (watchRows[1]?.value) / plainRebuild;

publish('build-time', {
  title: `Build time of the tag: ${MODULES} modules, ${Math.ceil(MODULES / TAGGED_EVERY)} tagged functions`,
  tables: [
    {
      title: `Clean builds, median of ${ROUNDS} interleaved rounds`,
      valueLabel: 'median ms',
      rows: contenders.map(({ contender, base, samples, note }) => ({
        contender,
        value: median(samples),
        ...(base ? { overhead: `${formatNumber(median(samples) / medianOf(base))}x` } : {}),
        ...(note ? { note } : {}),
      })),
      extraColumns: [{ key: 'overhead', label: 'vs without cachier' }],
    },
    {
      title: `tspc --watch: rebuild after a one-line edit of a helper 3 tagged functions use, median of ${WATCH_EDITS}`,
      valueLabel: 'median ms',
      rows: watchRows,
      extraColumns: [{ key: 'overhead', label: 'vs without cachier' }],
    },
  ],
  targets: [
    ratioTarget('tspc with the cachier transformer adds at most 10% to a clean build', ratioOf('tspc + cachier')),
    ratioTarget('tspc --watch with the cachier transformer adds at most 10% to a rebuild after a one-line edit', watchRatio),
    ratioTarget('cachier-tsc adds at most 10% to a clean tsc 7 build', ratioOf('cachier-tsc (tsc 7.0.2)')),
    ratioTarget('vite build with cachier/vite adds at most 10% to a clean build', ratioOf('vite build + cachier/vite')),
  ],
});
