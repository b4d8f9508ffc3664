import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import {
  ModuleGraph,
  checkTags,
  moduleFacts,
  transformModule,
  type CachierDiagnostic,
  type FunctionFacts,
  type ModuleFormat,
  readFromDisk as readText,
  followGeneratedEdits,
  projectTransformStore,
} from '../../engine/index.js';

/** What `tsc --showConfig` says of a project, as far as the rewrite needs it. */
export interface ProjectLayout {
  /** The folder of `tsconfig.json`. */
  readonly configDir: string;
  /** Absolute paths of the program's root files. */
  readonly files: readonly string[];
  /** Absolute; `undefined` when JavaScript is written beside its source. */
  readonly outDir: string | undefined;
  /** Absolute; the config's folder when not set (TypeScript 6 and 7's default). */
  readonly rootDir: string;
  readonly noEmit: boolean;
}

interface ShownConfig {
  readonly compilerOptions?: { readonly outDir?: string; readonly rootDir?: string; readonly noEmit?: boolean };
  readonly files?: readonly string[];
}

/** Reads the layout from `tsc --showConfig` output for the config at `configPath`. */
export function layoutFromShownConfig(configPath: string, shown: string): ProjectLayout {
  const config = JSON.parse(shown) as ShownConfig;
  const configDir = dirname(configPath);
  const options = config.compilerOptions ?? {};
  return {
    configDir,
    files: (config.files ?? []).map((file) => resolve(configDir, file)),
    outDir: options.outDir === undefined ? undefined : resolve(configDir, options.outDir),
    rootDir: resolve(configDir, options.rootDir ?? '.'),
    noEmit: options.noEmit === true,
  };
}

const OUTPUT_EXTENSIONS: Readonly<Record<string, string>> = { '.ts': '.js', '.tsx': '.js', '.mts': '.mjs', '.cts': '.cjs' };

/** Where `tsc` writes the JavaScript of `source`. */
export function outputOf(layout: ProjectLayout, source: string): string {
  const extension = extname(source);
  const base = source.slice(0, -extension.length) + (OUTPUT_EXTENSIONS[extension] ?? extension);
  return layout.outDir === undefined ? base : join(layout.outDir, relative(layout.rootDir, base));
}

/** The project's TypeScript sources (not declarations). */
function sourcesOf(layout: ProjectLayout): string[] {
  return layout.files.filter((source) => /\.[cm]?tsx?$/.test(source) && !source.endsWith('.d.ts'));
}

/** The bad tags of every source of the project, checked before `tsc` emits anything; `graph` keeps the texts (and parses) for the rewrite. */
export function tagProblems(layout: ProjectLayout, graph: ModuleGraph = sourceGraph()): CachierDiagnostic[] {
  return sourcesOf(layout).flatMap((source) => {
    const code = graph.text(source);
    return code === undefined ? [] : checkTags(code, source, graph);
  });
}

/** The graph of a build: the sources `tsc` compiles, read from disk, parsed with the engine's native parser. */
export function sourceGraph(readSource: (fileName: string) => string | undefined = readText): ModuleGraph {
  return new ModuleGraph(readSource, projectTransformStore());
}

/**
 * Computes the ids and source hashes of every tagged function of the project
 * into `graph` ahead of {@link rewriteEmitted}, one module per turn of the
 * event loop: `cachier-tsc` does it while `tsc` builds, so the rewrite after
 * the build only parses and edits the emitted JavaScript.
 */
export async function prepareSources(layout: ProjectLayout, graph: ModuleGraph): Promise<void> {
  for (const source of sourcesOf(layout)) {
    await new Promise((resolvePromise) => setImmediate(resolvePromise));
    const code = graph.text(source);
    if (code?.includes('@cachier')) moduleFacts({ code, fileName: source, graph });
  }
}

/** What one pass over a build's output did. */
export interface RewritePass {
  readonly diagnostics: readonly CachierDiagnostic[];
  /** Emitted modules rewritten from `tsc`'s output. */
  readonly rewritten: readonly string[];
  /** Modules rewritten by an earlier pass whose source hashes changed (a helper they use was edited). */
  readonly rehashed: readonly string[];
  readonly functions: readonly FunctionFacts[];
}

/** Marks JavaScript this route has rewritten: the runtime import the rewrite adds. */
const REWRITTEN = /(?:import \* as __cachier from "cachier";|const __cachier = require\("cachier"\);)/;

/**
 * Applies the tag to what `tsc` emitted for every module of the project with
 * `@cachier` tags: JavaScript `tsc` just wrote is rewritten (ids and source
 * hashes from the TypeScript source, so they equal every other route's);
 * JavaScript an earlier pass rewrote keeps its code and gets the current
 * source hashes (`tsc` does not re-emit a module when only a helper it uses
 * changed). Source maps next to the output are composed to lead to the
 * TypeScript source.
 */
export function rewriteEmitted(layout: ProjectLayout, graph: ModuleGraph = sourceGraph()): RewritePass {
  const diagnostics: CachierDiagnostic[] = [];
  const functions: FunctionFacts[] = [];
  const rewritten: string[] = [];
  const rehashed: string[] = [];
  for (const source of sourcesOf(layout)) {
    const code = graph.text(source);
    if (code === undefined || !code.includes('@cachier')) continue;
    const output = outputOf(layout, source);
    const emitted = layout.noEmit ? undefined : readText(output);
    if (emitted !== undefined && REWRITTEN.test(emitted)) {
      const result = moduleFacts({ code, fileName: source, graph });
      diagnostics.push(...result.diagnostics);
      functions.push(...result.functions);
      const updated = withSourceHashes(emitted, result.functions);
      if (updated !== emitted) {
        writeFileSync(output, updated);
        rehashed.push(output);
      }
      continue;
    }
    const result = transformModule(
      emitted === undefined
        ? { code, fileName: source, graph }
        : { code: emitted, fileName: output, original: { code, fileName: source }, format: formatOf(output, emitted), graph },
    );
    diagnostics.push(...result.diagnostics);
    functions.push(...result.functions);
    if (emitted === undefined || !result.changed) continue;
    writeFileSync(output, result.code);
    const emittedMap = readText(`${output}.map`);
    // tsc's map, moved along the rewrite's edits, still leads to the TypeScript source.
    if (emittedMap !== undefined)
      writeFileSync(
        `${output}.map`,
        followGeneratedEdits(emittedMap, emitted, result.code, (offset) => result.generatedOffset(offset)),
      );
    rewritten.push(output);
  }
  return { diagnostics, rewritten, rehashed, functions };
}

/**
 * Removes what `tsc` emitted for the modules with `@cachier` tags that this
 * route has not rewritten, and their source maps: after a rewrite that failed
 * once `tsc` had written its output, so that no tagged function is left to
 * run uncached. Answers the removed files.
 */
export function removeUnrewritten(layout: ProjectLayout, graph: ModuleGraph): string[] {
  if (layout.noEmit) return [];
  const removed: string[] = [];
  for (const source of sourcesOf(layout)) {
    if (!graph.text(source)?.includes('@cachier')) continue;
    const output = outputOf(layout, source);
    const emitted = readText(output);
    if (emitted === undefined || REWRITTEN.test(emitted)) continue;
    rmSync(output, { force: true });
    rmSync(`${output}.map`, { force: true });
    removed.push(output);
  }
  return removed;
}

/** Rewritten JavaScript with each function's `sourceHash` set to the current one. */
function withSourceHashes(code: string, functions: readonly FunctionFacts[]): string {
  let updated = code;
  for (const fn of functions) {
    const id = JSON.stringify(fn.id);
    updated = updated.replace(new RegExp(`(\\{ id: ${escapeRegExp(id)}, sourceHash: )"[^"]*"`, 'g'), `$1${JSON.stringify(fn.sourceHash)}`);
  }
  return updated;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How emitted JavaScript loads modules: by extension, then by its own syntax, then by its package's `type`. */
export function formatOf(fileName: string, code: string): ModuleFormat {
  if (fileName.endsWith('.mjs')) return 'esm';
  if (fileName.endsWith('.cjs')) return 'cjs';
  if (/^\s*(?:import|export)\b/m.test(code)) return 'esm';
  if (/\b(?:exports|require)\b/.test(code)) return 'cjs';
  return packageType(dirname(fileName)) === 'module' ? 'esm' : 'cjs';
}

function packageType(directory: string): string | undefined {
  for (let at = directory; ; at = dirname(at)) {
    const manifest = join(at, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type;
    if (dirname(at) === at) return undefined;
  }
}
