#!/usr/bin/env node
/**
 * `cachier-tsc`: a drop-in for `tsc` that applies the `@cachier` tag with
 * any TypeScript, 7.x (the Go compiler, which runs no plugins) included. It
 * runs the project's own `tsc` with the arguments given (`-p`, `-b`,
 * `--watch`, every other flag), then rewrites the JavaScript `tsc` emitted for
 * each module with tags, taking ids and source hashes from the TypeScript
 * source, and composes the source maps. Bad tags are reported like `tsc`'s
 * own errors, with file:line:column, and fail the build.
 *
 * Declarations (`.d.ts`) are `tsc`'s: the controls of a cached function are
 * reached through `cacheOf(fn)`, which type-checks everywhere.
 * @packageDocumentation
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { formatDiagnostic } from './engine.js';
import { layoutFromShownConfig, rewriteEmitted, type ProjectLayout } from './tsc-route.js';

const EMITTED_LINE = /^TSFILE: /;
/** The line `tsc --watch` prints when a (re)build is done. */
const WATCH_CYCLE_END = /(?:Found \d+ errors?\.|Watching for file changes\.)/;

interface Invocation {
  readonly args: readonly string[];
  readonly watch: boolean;
  readonly build: boolean;
  /** The user asked for `--listEmittedFiles` themselves, so those lines are theirs to see. */
  readonly listsEmitted: boolean;
  /** The tsconfig files the build covers. */
  readonly configs: readonly string[];
  readonly helpOnly: boolean;
}

function parseInvocation(args: readonly string[], cwd: string): Invocation {
  const has = (...names: string[]): boolean => args.some((arg) => names.includes(arg));
  const build = has('-b', '--build');
  const projects: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '-p' || arg === '--project') projects.push(args[index + 1] ?? '.');
    if (build && !arg.startsWith('-') && args[index - 1] !== '-p' && args[index - 1] !== '--project') projects.push(arg);
  }
  const configs = (projects.length === 0 ? ['.'] : projects).map((project) => {
    const path = resolve(cwd, project);
    return existsSync(path) && statSync(path).isDirectory() ? join(path, 'tsconfig.json') : path;
  });
  return {
    args,
    watch: has('-w', '--watch'),
    build,
    listsEmitted: has('--listEmittedFiles'),
    configs,
    helpOnly: has('-h', '--help', '-v', '--version', '--init', '--showConfig', '--all'),
  };
}

/** The project's own `tsc`: the `typescript` its folder resolves, whatever version. */
function findTsc(cwd: string): string {
  const require = createRequire(join(cwd, 'package.json'));
  let manifest: string;
  try {
    manifest = require.resolve('typescript/package.json');
  } catch {
    process.stderr.write('cachier-tsc: no typescript package found from this folder; install it: npm install --save-dev typescript\n');
    process.exit(1);
  }
  return join(manifest, '..', 'bin', 'tsc');
}

function layoutsOf(tsc: string, invocation: Invocation, cwd: string): ProjectLayout[] {
  return invocation.configs.flatMap((config) => {
    const shown = spawnSync(process.execPath, [tsc, '--showConfig', '-p', config], { cwd, encoding: 'utf8' });
    if (shown.status !== 0) return [];
    return [layoutFromShownConfig(config, shown.stdout)];
  });
}

/** Rewrites the output of every project; prints bad tags; answers whether there were any. */
function rewritePass(tsc: string, invocation: Invocation, cwd: string): boolean {
  let failed = false;
  for (const layout of layoutsOf(tsc, invocation, cwd)) {
    const pass = rewriteEmitted(layout);
    for (const diagnostic of pass.diagnostics) {
      process.stdout.write(`${formatDiagnostic(diagnostic, (fileName) => relative(cwd, fileName))}\n`);
    }
    if (pass.rehashed.length > 0 && invocation.watch) {
      process.stdout.write(`cachier: new source hashes for ${pass.rehashed.map((file) => relative(cwd, file)).join(', ')} (a helper they use changed)\n`);
    }
    failed ||= pass.diagnostics.length > 0;
  }
  return failed;
}

function main(): void {
  const cwd = process.cwd();
  const invocation = parseInvocation(process.argv.slice(2), cwd);
  const tsc = findTsc(cwd);
  const args = invocation.helpOnly || invocation.listsEmitted ? invocation.args : [...invocation.args, '--listEmittedFiles'];
  const child = spawn(process.execPath, [tsc, ...args], { cwd, stdio: ['inherit', 'pipe', 'inherit'] });
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!invocation.listsEmitted && EMITTED_LINE.test(line)) continue;
      process.stdout.write(`${line}\n`);
      if (invocation.watch && WATCH_CYCLE_END.test(line)) rewritePass(tsc, invocation, cwd);
    }
  });
  child.on('close', (code) => {
    if (pending !== '' && !(EMITTED_LINE.test(pending) && !invocation.listsEmitted)) process.stdout.write(pending);
    if (invocation.helpOnly) process.exit(code ?? 1);
    const failed = rewritePass(tsc, invocation, cwd);
    process.exit(code !== 0 ? (code ?? 1) : failed ? 1 : 0);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
}

main();
