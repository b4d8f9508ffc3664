/**
 * Build-time overhead of the tag, on two generated projects of 300 modules
 * with 100 tagged functions, each route against the same build without cachier:
 *
 * - small: modules of about 10 lines, each tagged function calling helpers
 *   and reading constants of three other modules;
 * - realistic: modules of about 100 lines (8 helpers of ~11 lines each,
 *   each helper calling helpers of two earlier modules, so a helper reaches
 *   much of the project; about 1 MB of TypeScript), where a tagged function's
 *   source hash covers hundreds of declarations.
 *
 * Routes: `cachier-tsc` against plain `tsc` of TypeScript 7.0.2; `tspc`
 * (ts-patch, this repository's TypeScript 5.9) with the program transformer
 * against without it; `vite build` (an SSR bundle), a Rolldown build, an
 * esbuild bundle and a Babel compile (`@babel/cli` with the TypeScript
 * preset) with the cachier plugin against without it, each in a fresh
 * process; and `tspc --watch` rebuilds after a one-line edit of a helper
 * (from tsc's "File change detected" line to its "Watching for file changes"
 * line, so the watcher's 250 ms debounce is left out), with the count of
 * emitted modules the rebuild rewrote.
 *
 * Each cachier route is measured twice: with its store of rewrites emptied
 * before every build ("no stored rewrites": the first build of a checkout),
 * and with the store the previous build left ("stored rewrites": a rebuild
 * after `dist/` was removed, a dev server restart, CI with
 * `node_modules/.cache` kept), each in its own copy of the project.
 *
 * Clean builds are interleaved (each round runs every contender once) and
 * the medians compared. BENCH_BASELINE=<a folder holding another build of
 * this package, with its dist/ and node_modules> adds that build's rows
 * ("before"), measured in the same rounds. BENCH_BUILD_SIZES=small or
 * realistic measures one project only.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatNumber, publish } from '../lib/report.mjs';
import { benchDir, quick } from '../lib/settings.mjs';
import { makeTempDir } from '../lib/temp-dir.mjs';

const MODULES = 300;
const TAGGED_EVERY = 3;
const HELPERS = 8;
const ROUNDS = quick ? 1 : Number(process.env['BENCH_BUILD_ROUNDS'] ?? 9);
const WATCH_EDITS = quick ? 1 : 7;
/** The targets of issue 23: bundlers, Babel and `cachier-tsc` at most 1.25x; `tspc` at most 1.10x; a watch rebuild at most 1.5x. */
const LIMITS = { bundler: 1.25, tspc: 1.1, watch: 1.5 };
const TOOLS = {
  typescript: 'typescript@7.0.2',
  esbuild: 'esbuild@0.28.2',
  babel: ['@babel/cli@8.1.0', '@babel/core@8.1.4', '@babel/preset-typescript@8.0.7'],
};

const repository = resolve(benchDir, '..');
const baseline = process.env['BENCH_BASELINE'] ? resolve(process.env['BENCH_BASELINE']) : undefined;
/** The builds of cachier compared: this one, and the baseline's as "before". */
const packages = [{ suffix: '', dir: repository }, ...(baseline ? [{ suffix: ' (before)', dir: baseline }] : [])];

/** A module of the small project: a helper, a constant, and a function using three other modules'. */
function smallModule(index) {
  const imports = [1, 7, 31].map((step) => (index + step) % MODULES).filter((other) => other !== index);
  const lines = imports.map((other) => `import { helper${other}, LIMIT${other} } from './m${other}.js';`);
  lines.push(
    `export const LIMIT${index} = ${index};`,
    `export function helper${index}(value: number): number {`,
    `  return value > LIMIT${index} ? value - ${index} : value + ${index};`,
    '}',
  );
  const body = imports.map((other) => `helper${other}(value) + LIMIT${other}`).join(' + ');
  if (index % TAGGED_EVERY === 0) lines.push(`/** @cachier staleAfter=1h */`);
  lines.push(`export function compute${index}(value: number): number {`, `  return ${body};`, '}');
  for (let extra = 0; extra < 6; extra += 1)
    lines.push(`export interface Shape${index}x${extra} { readonly a: number; readonly b: string; readonly c: readonly number[] }`);
  return `${lines.join('\n')}\n`;
}

/** A module of the realistic project: 8 helpers of 11 lines, each calling helpers of the module before and of the one at half its index. */
function realisticModule(index) {
  const previous = index - 1;
  const half = Math.floor(index / 2);
  const earlier = [...new Set([previous, half].filter((other) => other >= 0 && other !== index))];
  const lines = earlier.map(
    (other) => `import { ${Array.from({ length: HELPERS }, (_, helper) => `helper${other}x${helper}`).join(', ')} } from './m${other}.js';`,
  );
  lines.push(
    `export const LIMIT${index} = ${index + 10};`,
    `export interface Options${index} {`,
    '  readonly offset: number;',
    '  readonly label: string;',
    '}',
    '',
  );
  for (let helper = 0; helper < HELPERS; helper += 1) {
    const first = previous >= 0 ? `helper${previous}x${helper}(scaled - ${index}, options)` : `scaled - ${index}`;
    const second = half !== index && index > 0 ? `helper${half}x${(helper + 1) % HELPERS}(step, options)` : `step * ${helper + 1}`;
    lines.push(
      `export function helper${index}x${helper}(value: number, options: Options${index}): number {`,
      `  const scaled = value * ${helper + 1} + options.offset;`,
      `  if (scaled > LIMIT${index} || value < 1) {`,
      `    return ${first} + ${helper};`,
      '  }',
      '  let total = 0;',
      `  for (let step = 0; step < ${(helper % 3) + 1}; step += 1) {`,
      `    total += ${second} / (step + 1);`,
      '  }',
      `  return total > LIMIT${index} ? total - ${index} : total + options.label.length;`,
      '}',
      '',
    );
  }
  if (index % TAGGED_EVERY === 0) lines.push(`/** @cachier staleAfter=1h */`);
  lines.push(
    `export function compute${index}(value: number): number {`,
    `  return helper${index}x0(value, { offset: 1, label: 'm${index}' }) + helper${index}x${HELPERS - 1}(value, { offset: 2, label: 'm${index}' });`,
    '}',
  );
  return `${lines.join('\n')}\n`;
}

/** The projects, by name: how each module is written, and which helper the watch rebuild edits (and how). */
const SIZES = {
  small: { moduleSource: smallModule, edit: { file: 'src/m1.ts', from: 'value - 1 :', to: 'value - 2 :' } },
  realistic: { moduleSource: realisticModule, edit: { file: 'src/m150.ts', from: 'total - 150 :', to: 'total - 151 :' } },
};
const chosenSizes = (process.env['BENCH_BUILD_SIZES'] ?? 'small,realistic').split(',').filter((size) => size in SIZES);

/** The generated modules, an entry calling every computeN, a `package.json`, and `node_modules/cachier` pointing at `cachierDir` when given. */
function makeProject(dir, size, cachierDir) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (let index = 0; index < MODULES; index += 1) writeFileSync(join(dir, 'src', `m${index}.ts`), SIZES[size].moduleSource(index));
  const imports = Array.from({ length: MODULES }, (_, index) => `import { compute${index} } from './m${index}.js';`).join('\n');
  const calls = Array.from({ length: MODULES }, (_, index) => `compute${index}(2)`).join(' + ');
  writeFileSync(join(dir, 'src/main.ts'), `${imports}\n\nconsole.log(${calls});\n`);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'build-time', version: '1.0.0', type: 'module', private: true }));
  // Every real project has one; cachier keeps its stored rewrites there.
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  if (cachierDir) symlinkSync(cachierDir, join(dir, 'node_modules/cachier'), 'dir');
  return dir;
}

function writeTsconfig(dir, plugin) {
  const plugins = plugin ? [{ transform: 'cachier/transformer', transformProgram: true }] : [];
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        strict: true,
        skipLibCheck: true,
        types: [],
        outDir: 'dist',
        rootDir: 'src',
        sourceMap: true,
        declaration: true,
        plugins,
      },
      include: ['src'],
    }),
  );
}

/**
 * A Vite project with `cachier/vite` when `cachierDir` is given, installed as
 * an application installs it: `node_modules/cachier` is a folder (the
 * package's `package.json` and `dist/`, its dependencies reached through a
 * link to `cachierDir`'s), not a link to `cachierDir`. Vite bundles its config
 * file together with every import it resolves outside `node_modules`, a
 * linked package too; an installed plugin stays an import.
 */
function writeViteConfig(dir, cachierDir) {
  if (cachierDir) {
    const installed = join(dir, 'node_modules/cachier');
    rmSync(installed, { recursive: true, force: true });
    mkdirSync(installed, { recursive: true });
    cpSync(join(cachierDir, 'package.json'), join(installed, 'package.json'));
    cpSync(join(cachierDir, 'dist'), join(installed, 'dist'), { recursive: true });
    symlinkSync(join(cachierDir, 'node_modules'), join(installed, 'node_modules'), 'dir');
  }
  const plugin = cachierDir ? "import cachier from 'cachier/vite';\n" : '';
  writeFileSync(
    join(dir, 'vite.config.mjs'),
    `${plugin}export default { logLevel: 'silent', plugins: [${cachierDir ? 'cachier()' : ''}], build: { ssr: 'src/main.ts', outDir: 'dist', emptyOutDir: true, minify: false, rolldownOptions: { external: ['cachier'] } } };\n`,
  );
}

/** A script bundling the project with Rolldown, with `cachier/rolldown` from `cachierDir` when given. */
function writeRolldownScript(dir, cachierDir) {
  const plugin = cachierDir
    ? `import cachier from ${JSON.stringify(join(cachierDir, 'dist/transformer/routes/bundlers/rolldown.js'))};\n`
    : '';
  writeFileSync(
    join(dir, 'rolldown-build.mjs'),
    `import { build } from ${JSON.stringify(join(repository, 'node_modules/rolldown/dist/index.mjs'))};\n${plugin}` +
      `await build({ input: 'src/main.ts', platform: 'node', external: ['cachier'], plugins: [${cachierDir ? 'cachier()' : ''}], output: { dir: 'dist', format: 'esm' }, logLevel: 'silent' });\n`,
  );
}

/** A script bundling the project with esbuild (installed in `dir`), with `cachier/esbuild` when `plugin`. */
function writeEsbuildScript(dir, plugin) {
  writeFileSync(
    join(dir, 'esbuild-build.mjs'),
    `import { build } from 'esbuild';\n${plugin ? "import cachier from 'cachier/esbuild';\n" : ''}` +
      `await build({ entryPoints: ['src/main.ts'], bundle: true, platform: 'node', format: 'esm', outdir: 'dist', external: ['cachier'], logLevel: 'silent', plugins: [${plugin ? 'cachier()' : ''}] });\n`,
  );
}

/** A Babel config compiling TypeScript, with `cachier/babel` when `plugin`. */
function writeBabelConfig(dir, plugin) {
  writeFileSync(
    join(dir, 'babel.config.json'),
    JSON.stringify({ presets: ['@babel/preset-typescript'], plugins: plugin ? ['cachier/babel'] : [] }),
  );
}

/** Installs the tools into `dir`. */
function install(dir, ...tools) {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-save', '--loglevel', 'error', ...tools.flat()], {
    cwd: dir,
  });
}

/** Milliseconds of one clean build (`dist` removed first, and cachier's stored rewrites when `emptyStore`), in a fresh process. */
function timed(command, args, cwd, emptyStore = false) {
  rmSync(join(cwd, 'dist'), { recursive: true, force: true });
  if (emptyStore) rmSync(join(cwd, 'node_modules/.cache/cachier'), { recursive: true, force: true });
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

/**
 * A contender of the clean-build tables: `run` builds once and answers milliseconds.
 * @typedef {{ size: string, contender: string, base?: string, limit?: number, run: () => number, samples: number[], note?: string }} Contender
 */
/** @type {Contender[]} */
const contenders = [];
/** Per project size, the `tspc` projects whose watch rebuilds are measured. */
const watchProjects = [];

/**
 * The cachier builds each route is measured with: each package (this one and
 * the baseline's) with its stored rewrites emptied before every build, and
 * this one with the store its previous build left.
 */
const variants = [
  ...packages.map(({ suffix, dir }) => ({ label: suffix || ', no stored rewrites', dir, emptyStore: true })),
  { label: ', stored rewrites', dir: repository, emptyStore: false },
];

/**
 * The contenders of one project size. Each tool's projects share one folder
 * with its tools installed (the plain build and each cachier build get their
 * own copy of the sources, so no build reads another's output, and its own
 * `node_modules/.cache`).
 */
function addContenders(size) {
  const add = (contender, run, base, limit, note) => contenders.push({ size, contender, run, base, limit, note, samples: [] });
  const project = (name, cachierDir) => makeProject(join(root, size, name), size, cachierDir);

  const tsc7Project = project('tsc7', undefined);
  writeTsconfig(tsc7Project, false);
  install(tsc7Project, TOOLS.typescript);
  const tsc7 = join(tsc7Project, 'node_modules/typescript/bin/tsc');
  add('tsc 7.0.2', () => timed(process.execPath, [tsc7], tsc7Project));
  for (const [index, { label, dir, emptyStore }] of variants.entries()) {
    // cachier-tsc's rewrite imports "cachier"; the module must resolve for the emitted code, not for the build.
    const withCachier = project(`tsc7-cachier-${index}`, repository);
    writeTsconfig(withCachier, false);
    symlinkSync(join(tsc7Project, 'node_modules/typescript'), join(withCachier, 'node_modules/typescript'), 'dir');
    const cachierTsc = join(dir, 'dist/transformer/routes/tsc7/cachier-tsc.js');
    add(
      `cachier-tsc (tsc 7.0.2)${label}`,
      () => timed(process.execPath, [cachierTsc], withCachier, emptyStore),
      'tsc 7.0.2',
      LIMITS.bundler,
    );
  }

  const tspcPlain = project('tspc-plain', repository);
  writeTsconfig(tspcPlain, false);
  add('tspc (TypeScript 5.9)', () => timed(process.execPath, [tspc], tspcPlain));
  const tspcWithPlugin = variants.map(({ label, dir, emptyStore }, index) => {
    const withPlugin = project(`tspc-plugin-${index}`, dir);
    writeTsconfig(withPlugin, true);
    add(`tspc + cachier${label}`, () => timed(process.execPath, [tspc], withPlugin, emptyStore), 'tspc (TypeScript 5.9)', LIMITS.tspc);
    return { label, emptyStore, project: withPlugin };
  });
  watchProjects.push({ size, plain: tspcPlain, withPlugin: tspcWithPlugin.filter(({ emptyStore }) => emptyStore) });

  const vitePlain = project('vite-plain', undefined);
  writeViteConfig(vitePlain, undefined);
  add('vite build (Vite 8)', () => timed(process.execPath, [vite, 'build'], vitePlain), undefined, undefined, 'SSR bundle, fresh process');
  for (const [index, { label, dir, emptyStore }] of variants.entries()) {
    const withPlugin = project(`vite-plugin-${index}`, undefined);
    writeViteConfig(withPlugin, dir);
    add(
      `vite build + cachier/vite${label}`,
      () => timed(process.execPath, [vite, 'build'], withPlugin, emptyStore),
      'vite build (Vite 8)',
      LIMITS.bundler,
    );
  }

  const rolldownPlain = project('rolldown-plain', undefined);
  writeRolldownScript(rolldownPlain, undefined);
  add('rolldown build', () => timed(process.execPath, ['rolldown-build.mjs'], rolldownPlain), undefined, undefined, 'fresh process');
  for (const [index, { label, dir, emptyStore }] of variants.entries()) {
    const withPlugin = project(`rolldown-plugin-${index}`, undefined);
    writeRolldownScript(withPlugin, dir);
    add(
      `rolldown build + cachier/rolldown${label}`,
      () => timed(process.execPath, ['rolldown-build.mjs'], withPlugin, emptyStore),
      'rolldown build',
      LIMITS.bundler,
    );
  }

  for (const [tool, label, write, run] of [
    [
      'esbuild',
      `esbuild bundle (${TOOLS.esbuild})`,
      writeEsbuildScript,
      (dir, emptyStore) => timed(process.execPath, ['esbuild-build.mjs'], dir, emptyStore),
    ],
    [
      'babel',
      'babel src (Babel 8, preset-typescript)',
      writeBabelConfig,
      (dir, emptyStore) =>
        timed(
          process.execPath,
          [join(dir, 'node_modules/@babel/cli/bin/babel.js'), 'src', '--out-dir', 'dist', '--extensions', '.ts'],
          dir,
          emptyStore,
        ),
    ],
  ]) {
    const plain = project(`${tool}-plain`, undefined);
    write(plain, false);
    install(plain, TOOLS[tool]);
    add(label, () => run(plain), undefined, undefined, 'fresh process');
    for (const [index, variant] of variants.entries()) {
      const withPlugin = project(`${tool}-plugin-${index}`, undefined);
      write(withPlugin, true);
      // The plain project's tools, linked rather than installed again.
      for (const name of readdirSync(join(plain, 'node_modules')))
        if (!name.startsWith('.')) symlinkSync(join(plain, 'node_modules', name), join(withPlugin, 'node_modules', name), 'dir');
      symlinkSync(variant.dir, join(withPlugin, 'node_modules/cachier'), 'dir');
      add(`${label} + cachier/${tool}${variant.label}`, () => run(withPlugin, variant.emptyStore), label, LIMITS.bundler);
    }
  }
}

for (const size of chosenSizes) addContenders(size);
// The builds measured with stored rewrites start from what one build left.
for (const contender of contenders) if (contender.contender.endsWith(', stored rewrites')) contender.run();
for (let round = 0; round < ROUNDS; round += 1) for (const contender of contenders) contender.samples.push(contender.run());

/** Modification times of the emitted `.js` files of `dist/`, by name. */
function emittedTimes(project) {
  const times = new Map();
  for (const file of readdirSync(join(project, 'dist')))
    if (file.endsWith('.js')) times.set(file, statSync(join(project, 'dist', file)).mtimeMs);
  return times;
}

/**
 * A `tspc --watch` rebuild after a one-line edit of one helper, `WATCH_EDITS`
 * times (the edit, then its undoing): the median milliseconds, and the median
 * count of emitted `.js` modules each rebuild rewrote.
 */
async function watchRebuilds(project, size) {
  rmSync(join(project, 'dist'), { recursive: true, force: true });
  const child = spawn(process.execPath, [tspc, '--watch', '--preserveWatchOutput'], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  let waiter;
  let changeSeen;
  const durations = [];
  const rewritten = [];
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
  const { file, from, to } = SIZES[size].edit;
  const helper = join(project, file);
  const original = readFileSync(helper, 'utf8');
  if (!original.includes(from)) throw new Error(`the watch edit expects "${from}" in ${helper}`);
  for (let edit = 0; edit < WATCH_EDITS; edit += 1) {
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 300));
    const before = emittedTimes(project);
    const built = nextBuild();
    writeFileSync(helper, edit % 2 === 0 ? original.replace(from, to) : original);
    await built;
    const after = emittedTimes(project);
    rewritten.push([...after].filter(([name, time]) => before.get(name) !== time).length);
  }
  child.kill();
  writeFileSync(helper, original);
  return { duration: median(durations), rewritten: median(rewritten) };
}

const watchTables = [];
const targets = [];
const ratioTarget = (claim, ratio, limit) => ({
  claim,
  met: ratio <= limit,
  measured: `${formatNumber(ratio)}x (target ${limit}x${ratio > limit ? `, missed by ${formatNumber((ratio / limit - 1) * 100)}%` : ''})`,
});
for (const { size, plain, withPlugin } of watchProjects) {
  const plainRebuild = await watchRebuilds(plain, size);
  const rows = [{ contender: 'tspc --watch (TypeScript 5.9)', value: plainRebuild.duration, rewritten: plainRebuild.rewritten }];
  for (const { label: suffix, project } of withPlugin) {
    const rebuild = await watchRebuilds(project, size);
    const ratio = rebuild.duration / plainRebuild.duration;
    rows.push({
      contender: `tspc --watch + cachier${suffix}`,
      value: rebuild.duration,
      overhead: `${formatNumber(ratio)}x`,
      rewritten: rebuild.rewritten,
    });
    if (!suffix.includes('before'))
      targets.push(
        ratioTarget(
          `${size} project: a tspc --watch rebuild after a one-line helper edit costs at most ${LIMITS.watch}x without cachier`,
          ratio,
          LIMITS.watch,
        ),
      );
  }
  watchTables.push({
    title: `${size} project: tspc --watch rebuild after a one-line edit of ${SIZES[size].edit.file}, median of ${WATCH_EDITS}`,
    valueLabel: 'median ms',
    rows,
    extraColumns: [
      { key: 'overhead', label: 'vs without cachier' },
      { key: 'rewritten', label: 'emitted modules rewritten' },
    ],
  });
}

const medianOf = (size, label) =>
  median(contenders.find((contender) => contender.size === size && contender.contender === label)?.samples ?? []);
for (const { size, contender, base, limit } of contenders) {
  if (!base || !limit || contender.endsWith('(before)')) continue;
  targets.push(
    ratioTarget(`${size} project: ${contender} costs at most ${limit}x ${base}`, medianOf(size, contender) / medianOf(size, base), limit),
  );
}

publish('build-time', {
  title: `Build time of the tag: ${MODULES} modules, ${Math.ceil(MODULES / TAGGED_EVERY)} tagged functions, small and realistic modules`,
  tables: [
    ...chosenSizes.map((size) => ({
      title: `${size} project: clean builds, median of ${ROUNDS} interleaved rounds`,
      valueLabel: 'median ms',
      rows: contenders
        .filter((contender) => contender.size === size)
        .map(({ contender, base, samples, note }) => ({
          contender,
          value: median(samples),
          ...(base ? { overhead: `${formatNumber(median(samples) / medianOf(size, base))}x` } : {}),
          ...(note ? { note } : {}),
        })),
      extraColumns: [{ key: 'overhead', label: 'vs without cachier' }],
    })),
    ...watchTables,
  ],
  targets,
});
