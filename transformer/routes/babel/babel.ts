/**
 * The Babel plugin of cachier, for `@babel/cli`, babel-jest and every tool
 * that compiles through Babel 8: rewrites `@cachier`-tagged functions with the
 * same ids, source hashes and diagnostics as a `tspc` build.
 *
 * It hands the file's text to the rewrite engine before Babel parses it (a
 * `parserOverride`), parses the engine's output with Babel's own parser and
 * the file's parser options, and moves every position of that tree back onto
 * the original text. So the rest of the build (the TypeScript preset, other
 * plugins, error frames, source maps and an input source map of the file) sees
 * the file's own lines and columns, and Babel chains the maps itself.
 *
 * @example
 * ```json
 * // babel.config.json: list cachier among the plugins, which run before presets
 * { "presets": ["@babel/preset-typescript"], "plugins": ["cachier/babel"] }
 * ```
 * @packageDocumentation
 */
import type { PluginAPI, PluginObject, types as BabelTypes } from '@babel/core';
import {
  BuildGraphs,
  formatDiagnostic,
  moduleFormatOf,
  projectTransformStore,
  transformModule,
  type CachierDiagnostic,
} from '../../engine/index.js';

type ParseFile = (code: string, options?: object) => BabelTypes.File;

/** The plugin object; `parserOverride` answers `undefined` (Babel parses as usual) for files it leaves alone. */
export type CachierBabelPlugin = Omit<PluginObject, 'parserOverride'> & {
  parserOverride(code: string, parserOptions: object | undefined, parse: ParseFile): BabelTypes.File | undefined;
};

/**
 * Creates the plugin; it takes no options.
 * @throws from Babel's transform, for each file with bad tags, an error whose
 * message is `file:line:column: cachier: message` with a code frame at the tag.
 */
export default function cachierBabel(api: PluginAPI): CachierBabelPlugin {
  api.assertVersion('^8.0.0 || ^7.22.0');
  /** Bad tags found while parsing, by the tree Babel goes on to transform. */
  const problems = new WeakMap<BabelTypes.File, readonly CachierDiagnostic[]>();
  /** The modules the files compiled so far reached, shared until one changes on disk (Babel announces no builds). */
  const graphs = new BuildGraphs({ checkFiles: true, store: projectTransformStore() });
  return {
    name: 'cachier',
    parserOverride(code, parserOptions, parse) {
      const fileName = (parserOptions as { sourceFileName?: string } | undefined)?.sourceFileName;
      if (fileName === undefined || !code.includes('@cachier')) return undefined;
      const result = transformModule({ code, fileName, format: moduleFormatOf(fileName, code), graph: graphs.current(fileName) });
      if (result.diagnostics.length > 0) {
        const ast = parse(code, parserOptions);
        problems.set(ast, result.diagnostics);
        return ast;
      }
      if (!result.changed) return undefined;
      const ast = parse(result.code, parserOptions);
      moveOntoOriginal(ast, code, (offset) => result.originalOffset(offset));
      return ast;
    },
    pre(file) {
      const found = problems.get(file.ast) ?? [];
      const [first] = found;
      if (!first) return;
      // Babel frames the code around a node: one standing where the first bad tag is.
      const at = api.types.identifier('cachier');
      const lines = lineStarts(file.code);
      at.loc = {
        start: position(lines, first.start),
        end: position(lines, first.start + first.length),
        filename: first.fileName,
        identifierName: undefined,
      };
      throw file.buildCodeFrameError(at, found.map((diagnostic) => formatDiagnostic(diagnostic)).join('\n'));
    },
  };
}

interface Located {
  start?: number | null;
  end?: number | null;
  loc?: BabelTypes.SourceLocation | null;
  range?: [number, number];
}

/**
 * Gives every node and comment of a tree parsed from the rewritten text the
 * position its text has in the original (generated code gets the position of
 * the code it stands for), so Babel's source map and error frames point into
 * the file as written.
 */
function moveOntoOriginal(ast: BabelTypes.File, original: string, originalOffset: (offset: number) => number): void {
  const lines = lineStarts(original);
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    const node = value as Located & Record<string, unknown>;
    if (typeof node.start === 'number' && typeof node.end === 'number') {
      const start = originalOffset(node.start);
      const end = Math.max(start, originalOffset(node.end));
      node.start = start;
      node.end = end;
      if (node.range) node.range = [start, end];
      if (node.loc) node.loc = { ...node.loc, start: position(lines, start), end: position(lines, end) };
    }
    for (const key of Object.keys(node)) if (key !== 'loc') visit(node[key]);
  };
  visit(ast);
}

/** Offsets where each line of `text` starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}

/** Babel's position (1-based line, 0-based column) of an offset. */
function position(lines: readonly number[], offset: number): { line: number; column: number; index: number } {
  let low = 0;
  let high = lines.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((lines[middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - (lines[low] as number), index: offset };
}
