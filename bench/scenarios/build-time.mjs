/**
 * Build-time overhead of the tag's compiler routes, on a generated project of
 * 300 modules with 100 tagged functions (each calling helpers of three other
 * modules): `cachier-tsc` against plain `tsc` of TypeScript 7, and `tspc` with
 * the plugin against `tspc` without it (TypeScript 5.9, this repository's).
 * Builds are interleaved, clean each time, and the medians compared.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from '../lib/settings.mjs';
import { makeTempDir } from '../lib/temp-dir.mjs';

const MODULES = 300;
const TAGGED_EVERY = 3;
const ROUNDS = process.env.BENCH_QUICK ? 1 : 5;

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

function makeProject(dir, plugin) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (let index = 0; index < MODULES; index += 1) writeFileSync(join(dir, 'src', `m${index}.ts`), moduleSource(index));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'build-time', version: '1.0.0', type: 'module', private: true }));
  const plugins = plugin ? [{ transform: 'cachier/transformer', transformProgram: true }] : [];
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', strict: true, skipLibCheck: true, types: [], outDir: 'dist', rootDir: 'src', sourceMap: true, declaration: true, plugins }, include: ['src'] }),
  );
}

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
const tsc7Project = join(root, 'tsc7');
makeProject(tsc7Project, false);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'error', 'typescript@7.0.2'], { cwd: tsc7Project });
mkdirSync(join(tsc7Project, 'node_modules'), { recursive: true });
symlinkSync(join(benchDir, '..'), join(tsc7Project, 'node_modules/cachier'), 'dir');
const plainProject = join(root, 'tspc-plain');
const pluginProject = join(root, 'tspc-plugin');
for (const [dir, plugin] of [[plainProject, false], [pluginProject, true]]) {
  makeProject(dir, plugin);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(benchDir, '..'), join(dir, 'node_modules/cachier'), 'dir');
}

const tsc7 = join(tsc7Project, 'node_modules/typescript/bin/tsc');
const cachierTsc = join(benchDir, '..', 'dist/transformer/cachier-tsc.js');
const tspc = join(benchDir, '..', 'node_modules/ts-patch/bin/tspc.js');
const samples = { tsc7: [], cachierTsc: [], tspcPlain: [], tspcPlugin: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  samples.tsc7.push(timed(process.execPath, [tsc7], tsc7Project));
  samples.cachierTsc.push(timed(process.execPath, [cachierTsc], tsc7Project));
  samples.tspcPlain.push(timed(process.execPath, [tspc], plainProject));
  samples.tspcPlugin.push(timed(process.execPath, [tspc], pluginProject));
}
const ms = (values) => `${median(values).toFixed(0)} ms`;
console.log(`\nBuild time, ${MODULES} modules, ${Math.ceil(MODULES / TAGGED_EVERY)} tagged functions, median of ${ROUNDS} clean builds`);
console.log(`  tsc 7.0.2            ${ms(samples.tsc7)}`);
console.log(`  cachier-tsc (tsc 7)  ${ms(samples.cachierTsc)}   ratio ${(median(samples.cachierTsc) / median(samples.tsc7)).toFixed(2)}x`);
console.log(`  tspc, no plugin      ${ms(samples.tspcPlain)}`);
console.log(`  tspc + cachier       ${ms(samples.tspcPlugin)}   ratio ${(median(samples.tspcPlugin) / median(samples.tspcPlain)).toFixed(2)}x`);
