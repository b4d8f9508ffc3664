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
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { formatDiagnostic, nativeParser, requireParserInstalled, type ModuleGraph } from '../../engine/index.js';
import { storedLayout, storeLayout } from './stored-layout.js';
import {
  layoutFromShownConfig,
  prepareSources,
  removeUnrewritten,
  rewriteEmitted,
  sourceGraph,
  tagProblems,
  type ProjectLayout,
} from './tsc-route.js';

const EMITTED_LINE = /^TSFILE: /;

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

/** How to start a `tsc`: the program and the arguments before the user's. */
interface TscCommand {
  readonly file: string;
  readonly leading: readonly string[];
}

/**
 * The project's own `tsc`: the `typescript` its folder resolves, whatever
 * version. TypeScript 7's `bin/tsc` is a Node script that only starts the
 * compiler's native executable from its platform package; that executable
 * is started directly when it is found where the script looks for it, which
 * saves a Node process (about 50 ms) on every build and layout read.
 */
function findTsc(cwd: string): TscCommand {
  const require = createRequire(join(cwd, 'package.json'));
  let manifest: string;
  try {
    manifest = require.resolve('typescript/package.json');
  } catch {
    process.stderr.write('cachier-tsc: no typescript package found from this folder; install it: npm install --save-dev typescript\n');
    process.exit(1);
  }
  const native = nativeTsc(manifest);
  return native ? { file: native, leading: [] } : { file: process.execPath, leading: [join(manifest, '..', 'bin', 'tsc')] };
}

/** TypeScript 7's native `tsc` (`@typescript/typescript-<platform>-<arch>/lib/tsc`, as its `bin/tsc` finds it), or `undefined`. */
function nativeTsc(manifest: string): string | undefined {
  try {
    const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '';
    if (Number.parseInt(version, 10) < 7) return undefined;
    const platformManifest = createRequire(manifest).resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`);
    const exe = join(platformManifest, '..', 'lib', process.platform === 'win32' ? 'tsc.exe' : 'tsc');
    return existsSync(exe) ? exe : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The layout of every project the build covers: stored by an earlier build
 * while its configs and folders are unchanged, else read with
 * `tsc --showConfig` (and stored).
 */
async function layoutsOf(tsc: TscCommand, invocation: Invocation, cwd: string, graph: ModuleGraph): Promise<ProjectLayout[]> {
  const shown = await Promise.all(
    invocation.configs.map(
      (config) =>
        storedLayout(config, graph) ??
        new Promise<ProjectLayout | undefined>((resolvePromise) => {
          execFile(tsc.file, [...tsc.leading, '--showConfig', '-p', config], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
            const layout = error ? undefined : layoutFromShownConfig(config, stdout);
            if (layout) storeLayout(config, layout, graph);
            resolvePromise(layout);
          });
          // A build with no stored layout most likely has no stored rewrites either: the parser loads while tsc answers.
          nativeParser();
        }),
    ),
  );
  return shown.filter((layout) => layout !== undefined);
}

/** Rewrites the output of every project; prints bad tags; answers whether there were any. */
function rewritePass(layouts: readonly ProjectLayout[], graph: ModuleGraph, invocation: Invocation, cwd: string): boolean {
  let failed = false;
  for (const layout of layouts) {
    const pass = rewriteEmitted(layout, graph);
    for (const diagnostic of pass.diagnostics) {
      process.stdout.write(`${formatDiagnostic(diagnostic, (fileName) => relative(cwd, fileName))}\n`);
    }
    if (pass.rehashed.length > 0 && invocation.watch) {
      process.stdout.write(
        `cachier: new source hashes for ${pass.rehashed.map((file) => relative(cwd, file)).join(', ')} (a helper they use changed)\n`,
      );
    }
    failed ||= pass.diagnostics.length > 0;
  }
  return failed;
}

/** Runs `tsc` once with `args`, passing its output through (without the emitted-file lines it was asked for). */
function runTsc(tsc: TscCommand, args: readonly string[], invocation: Invocation, cwd: string): Promise<number> {
  const extra = invocation.helpOnly || invocation.listsEmitted ? [] : ['--listEmittedFiles'];
  const child = spawn(tsc.file, [...tsc.leading, ...args, ...extra], { cwd, stdio: ['inherit', 'pipe', 'inherit'] });
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (invocation.listsEmitted || !EMITTED_LINE.test(line)) process.stdout.write(`${line}\n`);
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((resolvePromise) => {
    child.on('close', (code) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      if (pending !== '' && (invocation.listsEmitted || !EMITTED_LINE.test(pending))) process.stdout.write(pending);
      resolvePromise(code ?? 1);
    });
  });
}

/**
 * One build: bad tags are checked first and, if there are any, `tsc` runs
 * with `--noEmit` (its own errors still show) so no uncached JavaScript is
 * written; otherwise `tsc` builds and its output is rewritten.
 */
async function build(tsc: TscCommand, args: readonly string[], invocation: Invocation, cwd: string): Promise<number> {
  const graph = sourceGraph();
  const shown = layoutsOf(tsc, invocation, cwd, graph);
  // A missing parser stops the build before tsc writes anything; it is loaded only when a module needs parsing
  // (a build whose rewrites are all stored parses nothing), and one that fails to load after tsc emitted is handled below.
  requireParserInstalled();
  const layouts = await shown;
  const problems = layouts.flatMap((layout) => tagProblems(layout, graph));
  if (problems.length > 0) {
    for (const problem of problems) process.stdout.write(`${formatDiagnostic(problem, (fileName) => relative(cwd, fileName))}\n`);
    process.stdout.write(
      `cachier: ${problems.length === 1 ? 'a problem' : `${problems.length} problems`} with @cachier tags (above): nothing was emitted, so no function runs uncached; fix ${problems.length === 1 ? 'it' : 'them'} and build again\n`,
    );
    // tsc -b has no --noEmit: then the build stops at the tags.
    if (!invocation.build) await runTsc(tsc, [...args, '--noEmit'], invocation, cwd);
    return 1;
  }
  const built = runTsc(tsc, args, invocation, cwd);
  // The TypeScript side of the rewrite (ids, source hashes) is computed while `tsc` builds. What fails here fails
  // again in the rewrite below, once tsc is done, where it is reported and its output made safe.
  await prepareAll(layouts, graph).catch(() => undefined);
  const code = await built;
  let failed: boolean;
  try {
    failed = rewritePass(layouts, graph, invocation, cwd);
  } catch (error) {
    const removed = layouts.flatMap((layout) => removeUnrewritten(layout, graph));
    process.stdout.write(
      `cachier: the rewrite failed after tsc emitted: ${messageOf(error)}\n` +
        `cachier: removed what tsc emitted for ${removed.length} module${removed.length === 1 ? '' : 's'} with @cachier tags, so no function runs uncached; fix the cause and build again\n`,
    );
    return 1;
  }
  return code !== 0 ? code : failed ? 1 : 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function prepareAll(layouts: readonly ProjectLayout[], graph: ModuleGraph): Promise<void> {
  for (const layout of layouts) await prepareSources(layout, graph);
}

/**
 * `--watch`: builds, then rebuilds whenever a file of the project changes.
 * cachier-tsc watches itself (with chokidar) and runs `tsc` once per change,
 * rather than relying on `tsc --watch`: TypeScript 7.0.2's own watch did not
 * see edits on our test machines, and one build per change keeps every
 * dependent's source hash current.
 */
async function watchProject(tsc: TscCommand, invocation: Invocation, cwd: string): Promise<void> {
  const args = invocation.args.filter((arg) => arg !== '-w' && arg !== '--watch' && arg !== '--preserveWatchOutput');
  const stamp = (): string => new Date().toLocaleTimeString('en-US');
  const cycle = async (): Promise<void> => {
    const code = await build(tsc, args, invocation, cwd);
    process.stdout.write(`${stamp()} - Build ${code === 0 ? 'succeeded' : 'failed'}. Watching for file changes.\n`);
  };
  process.stdout.write(`${stamp()} - Starting compilation in watch mode...\n`);
  const layouts = await layoutsOf(tsc, invocation, cwd, sourceGraph());
  const outputs = layouts.flatMap((layout) => (layout.outDir ? [layout.outDir] : []));
  // Loaded here: a build without --watch does not pay for it (about 10 ms before tsc could start).
  const { watch } = await import('chokidar');
  const watcher = watch(
    layouts.map((layout) => layout.configDir),
    {
      ignoreInitial: true,
      ignored: (path, stats) =>
        /[\\/](?:node_modules|\.git)(?:[\\/]|$)/.test(path) ||
        outputs.some((output) => path === output || path.startsWith(`${output}/`)) ||
        (stats?.isFile() === true && !/\.(?:[cm]?tsx?|json)$/.test(path)),
    },
  );
  // Edits made while the first build runs are then seen too.
  await new Promise<void>((resolvePromise) => watcher.once('ready', () => resolvePromise()));
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) {
        again = true;
        return;
      }
      process.stdout.write(`${stamp()} - File change detected. Starting incremental compilation...\n`);
      start();
    }, 100);
  };
  const start = (): void => {
    running = cycle().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        schedule();
      }
    });
  };
  watcher.on('all', schedule);
  start();
}

/**
 * Keeps V8's compiled code of this bin's modules between runs (the engine
 * and the runtime it imports) with Node's own compile cache, from Node 22.1.
 * Not `v8-compile-cache` before it: it compiles every required file as a
 * CommonJS script, and the native parser's loader is an ES module.
 * This bin's process only: the cache lives in the system temp folder.
 */
function enableCompileCache(): void {
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
}

async function main(): Promise<void> {
  enableCompileCache();
  const cwd = process.cwd();
  const invocation = parseInvocation(process.argv.slice(2), cwd);
  const tsc = findTsc(cwd);
  if (invocation.helpOnly) {
    process.exitCode = await runTsc(tsc, invocation.args, invocation, cwd);
    return;
  }
  if (invocation.watch) {
    await watchProject(tsc, invocation, cwd);
    return;
  }
  process.exitCode = await build(tsc, invocation.args, invocation, cwd);
}

main().catch((error: unknown) => {
  // A missing or broken parser, an unreadable config: said in one line, as tsc says its own errors.
  process.stderr.write(`cachier-tsc: ${messageOf(error)}\n`);
  process.exitCode = 1;
});
