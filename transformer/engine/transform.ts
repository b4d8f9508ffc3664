/**
 * The rewrite engine of cachier, shared by every toolchain: source text in;
 * the rewritten text with a source map, the bad tags with line and column,
 * and each tagged function's id and source hash out. It parses with Oxc's
 * native parser ({@link nativeParser}, an optional peer), so it works the
 * same under TypeScript 5.9, 6, 7 or none, and every route (`tspc` included)
 * computes the same ids and hashes from the same text. Adapters (ts-patch, the
 * `tsc` 7 route, bundlers, Babel, Node hooks) only hand it code and take back code.
 * @packageDocumentation
 */
import { relative } from 'node:path';
import { debuglog } from 'node:util';
import { SourceMap } from 'magic-string';
import { analyzeSourceFile, qualify, taggedTarget, type ModuleAnalysis, type TaggedTarget } from './analyze.js';
import { ModuleGraph } from './module-graph.js';
import { rewriteModule, type ModuleFormat, type RewriteTarget } from './module-rewrite.js';
import { forEachChild, lineAndColumnOf, parseModule, type ParsedModule, type SyntaxNode } from './parser.js';
import { TagProblem } from './problems.js';
import { TextEdits, type Edit } from './text-edits.js';

export type { ModuleFormat } from './module-rewrite.js';
export { ModuleGraph } from './module-graph.js';

/** `NODE_DEBUG=cachier`: whether each tagged module's stored rewrite was reused, so a slow build can be told from a cold one. */
const debug = debuglog('cachier');

/** A bad tag, where it is, and what to do about it. */
export interface CachierDiagnostic {
  readonly fileName: string;
  /** Offset in the file's text. */
  readonly start: number;
  readonly length: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly message: string;
}

/** What the engine decided for one tagged function. */
export interface FunctionFacts {
  /** The cache id: `src/prices.ts#fetchPrices`, or the tag's `id=`. */
  readonly id: string;
  /** The source hash the cache belongs to: the function's code and the project code and packages it uses. */
  readonly sourceHash: string;
  /** `Shop.prototype.price` */
  readonly qualifiedName: string;
  /** 1-based line of the `@cachier` tag in the source. */
  readonly line: number;
}

/** What to rewrite. */
export interface TransformInput {
  /** The module's text: TypeScript or JavaScript. */
  readonly code: string;
  /** Its absolute path: ids are relative to its package, and relative imports resolve from it. */
  readonly fileName: string;
  /**
   * For JavaScript emitted from TypeScript: the TypeScript source. Its tags,
   * ids and source hashes apply, so a function gets the same cache whichever
   * route built it; the JavaScript's functions are found by their qualified names.
   */
  readonly original?: { readonly code: string; readonly fileName: string };
  /** How the rewritten module loads the runtime; `'esm'` by default (also right for TypeScript compiled to CommonJS). */
  readonly format?: ModuleFormat;
  /** The project's modules, for dependency hashing; share one across the modules of a build. Default: a new graph reading from disk. */
  readonly graph?: ModuleGraph;
}

/** What the engine answers. */
export interface TransformResult {
  /** Whether the code changed; when not, `code` is the input and `map` is undefined. */
  readonly changed: boolean;
  readonly code: string;
  /** Maps the rewritten code to the input code (not to `original`); made when first read. */
  readonly map: SourceMap | undefined;
  /** Bad tags; the functions they concern are left unwrapped. */
  readonly diagnostics: readonly CachierDiagnostic[];
  readonly functions: readonly FunctionFacts[];
  /** The offset in the input code that an offset of the rewritten code comes from. */
  originalOffset(offset: number): number;
  /** The offset in the input code that an offset of the rewritten code is a copy of; `undefined` inside generated code. */
  sourceOffset(offset: number): number | undefined;
  /** The offset in the rewritten code where the input code at `offset` lands. */
  generatedOffset(offset: number): number;
}

const TYPESCRIPT_FILE = /\.(?:[cm]?ts|tsx)$/;

/**
 * Rewrites every `@cachier`-tagged function of one module into a call of the
 * public runtime. Never throws for bad tags: they come back as diagnostics.
 */
export function transformModule(input: TransformInput): TransformResult {
  const source = input.original ?? input;
  if (!source.code.includes('@cachier')) return unchanged(input.code);
  const graph = input.graph ?? new ModuleGraph();
  const key = `rewrite\u0000${input.fileName}\u0000${input.original?.fileName ?? ''}\u0000${input.format ?? 'esm'}`;
  const stored = reuseStored<StoredRewrite>(graph, key, source, input.code);
  if (stored) return resultOf(input.code, input.fileName, stored);
  const rewrite = rewriteOf(input, graph);
  const entry: StoredRewrite = { diagnostics: rewrite.diagnostics, functions: rewrite.functions, edits: rewrite.edits?.list };
  saveStored(graph, key, source, input.code, entry);
  // Tools that ask for the map ask for it again next build: it is stored once made, never made for tools that do not.
  return resultOf(input.code, input.fileName, rewrite, (map) =>
    saveStored(graph, key, source, input.code, { ...entry, map: mapWithoutContent(map) }),
  );
}

/** What {@link transformModule} stores of a rewrite: its facts and its text edits (none when the code is unchanged). */
interface StoredRewrite {
  readonly diagnostics: CachierDiagnostic[];
  readonly functions: FunctionFacts[];
  readonly edits?: readonly Edit[] | undefined;
  /** The source map, once a tool asked for it, without the input's text (`sourcesContent`), which is the code handed over. */
  readonly map?: StoredMap;
}

type StoredMap = Pick<SourceMap, 'file' | 'sources' | 'names' | 'mappings'>;

function mapWithoutContent({ file, sources, names, mappings }: SourceMap): StoredMap {
  return { file, sources, names, mappings };
}

function rewriteOf(
  input: TransformInput,
  graph: ModuleGraph,
): { diagnostics: CachierDiagnostic[]; functions: FunctionFacts[]; edits: TextEdits | undefined } {
  const source = input.original ?? input;
  const { module, analysis, diagnostics, functions } = factsOf(source, graph);
  const tagged = [...analysis.functions.values()];
  if (tagged.length === 0) return { diagnostics, functions: [], edits: undefined };
  const hashes = new Map(tagged.map((fn, index) => [fn, (functions[index] as FunctionFacts).sourceHash]));

  const target = input.original ? parseModule(input.fileName, input.code) : module;
  const located = input.original ? locateFunctions(target) : undefined;
  const targets: RewriteTarget[] = [];
  for (const fn of tagged) {
    const place: TaggedTarget | undefined = located ? located.get(fn.qualifiedName) : fn;
    if (place)
      targets.push({
        ...place,
        id: fn.id,
        sourceHash: hashes.get(fn) as string,
        options: fn.options,
        moduleLevel: fn.moduleLevel,
        tagStart: fn.tagStart,
      });
  }
  const edits = rewriteModule(targets, {
    module: target,
    format: input.format ?? 'esm',
    typescript: TYPESCRIPT_FILE.test(input.fileName),
    exportsClearCache: analysis.exportsClearCache,
  });
  return { diagnostics, functions, edits: edits.isEmpty ? undefined : edits };
}

/** The engine's answer for `code` from a rewrite's facts and edits, made now or stored. */
function resultOf(
  code: string,
  fileName: string,
  rewrite: {
    readonly diagnostics: CachierDiagnostic[];
    readonly functions: FunctionFacts[];
    readonly edits?: TextEdits | readonly Edit[] | undefined;
    readonly map?: StoredMap | undefined;
  },
  onMapMade?: (map: SourceMap) => void,
): TransformResult {
  const { diagnostics, functions } = rewrite;
  if (!rewrite.edits) return { ...unchanged(code), diagnostics, functions };
  const edits = rewrite.edits instanceof TextEdits ? rewrite.edits : TextEdits.from(code, rewrite.edits);
  const applied = edits.apply(fileName);
  const stored = rewrite.map;
  let map: SourceMap | undefined;
  return {
    changed: true,
    code: applied.code,
    get map() {
      if (!map) {
        map = stored ? new SourceMap({ ...stored, sourcesContent: [code], file: stored.file ?? fileName }) : applied.map();
        if (!stored) onMapMade?.(map);
      }
      return map;
    },
    diagnostics,
    functions,
    originalOffset: (offset) => edits.originalOffset(offset),
    sourceOffset: (offset) => edits.sourceOffset(offset),
    generatedOffset: (offset) => edits.generatedOffset(offset),
  };
}

/** What a module's tags say, as {@link transformModule} reports it, without rewriting: its bad tags and each tagged function's facts. */
export function moduleFacts(source: {
  readonly code: string;
  readonly fileName: string;
  readonly graph: ModuleGraph;
}): Pick<TransformResult, 'diagnostics' | 'functions'> {
  if (!source.code.includes('@cachier')) return { diagnostics: [], functions: [] };
  const key = factsKey(source.fileName);
  const stored = reuseStored<Pick<TransformResult, 'diagnostics' | 'functions'>>(source.graph, key, source, source.code);
  if (stored) return stored;
  const { diagnostics, functions } = factsOf(source, source.graph);
  saveStored(source.graph, key, source, source.code, { diagnostics, functions });
  return { diagnostics, functions };
}

/**
 * The stored answer under `key` when the graph has a store and every path it
 * depends on is as it was (the graph then knows the files behind the module,
 * as if it had hashed it). A module an earlier build of this process hashed
 * (a watch rebuild's) is hashed again instead: its entry is that build's.
 */
function reuseStored<T>(
  graph: ModuleGraph,
  key: string,
  source: { readonly code: string; readonly fileName: string },
  input: string,
): T | undefined {
  if (!graph.store || graph.hashedInEarlierBuild(source.fileName)) return undefined;
  graph.useText(source.fileName, source.code);
  const entry = graph.reuseEntry(key, source.code, input);
  if (debug.enabled) {
    const outcome = entry ? 'stored, reused' : 'not stored or changed since, computed';
    debug('%s %s: %s', key.split('\u0000')[0], relative(process.cwd(), source.fileName), outcome);
  }
  if (!entry) return undefined;
  graph.adoptBehind(source.fileName, entry.behind, entry.stamps);
  return entry.result as T;
}

function saveStored(
  graph: ModuleGraph,
  key: string,
  source: { readonly code: string; readonly fileName: string },
  input: string,
  result: unknown,
): void {
  if (!graph.store) return;
  graph.saveEntry(key, { source: source.code, input }, graph.stampsBehind(source.fileName), result, [
    ...graph.filesBehindFile(source.fileName),
  ]);
}

function factsOf(
  source: { readonly code: string; readonly fileName: string },
  graph: ModuleGraph,
): { module: ParsedModule; analysis: ModuleAnalysis; diagnostics: CachierDiagnostic[]; functions: FunctionFacts[] } {
  const module = graph.module(source.fileName, source.code) as ParsedModule;
  const analysis = analyzeSourceFile(module);
  const diagnostics = analysis.problems.map((problem) => diagnosticOf(module, problem));
  const functions = [...analysis.functions.values()].map((fn) => ({
    id: fn.id,
    sourceHash: fn.pinnedSourceHash ? fn.sourceHash : graph.dependencyHash(fn.fn, fn.sourceHash),
    qualifiedName: fn.qualifiedName,
    line: lineAndColumnOf(module, fn.tagStart).line,
  }));
  return { module, analysis, diagnostics, functions };
}

function unchanged(code: string): TransformResult {
  return {
    changed: false,
    code,
    map: undefined,
    diagnostics: [],
    functions: [],
    originalOffset: (offset) => offset,
    sourceOffset: (offset) => offset,
    generatedOffset: (offset) => offset,
  };
}

function diagnosticOf(module: ParsedModule, problem: TagProblem): CachierDiagnostic {
  const { line, column } = lineAndColumnOf(module, problem.start);
  return { fileName: module.fileName, start: problem.start, length: problem.length, line, column, message: problem.message };
}

/** `file:line:column: cachier: message`, the form compilers and editors link to. */
export function formatDiagnostic(diagnostic: CachierDiagnostic, relativeTo?: (fileName: string) => string): string {
  const fileName = relativeTo ? relativeTo(diagnostic.fileName) : diagnostic.fileName;
  return `${fileName}:${diagnostic.line}:${diagnostic.column}: cachier: ${diagnostic.message}`;
}

/** Thrown by adapters whose tool reports errors as exceptions (bundlers, Babel, Node hooks). */
export class TagError extends Error {
  constructor(readonly diagnostics: readonly CachierDiagnostic[]) {
    super(diagnostics.map((diagnostic) => formatDiagnostic(diagnostic)).join('\n'));
    this.name = 'CachierTagError';
  }
}

/**
 * The functions of emitted JavaScript a tag could sit on, by qualified name.
 * `tsc`'s CommonJS output names an anonymous default export `default_1` and
 * exports it with `exports.default = default_1`, or assigns an expression to
 * `exports.default`: both are found as `default`.
 */
function locateFunctions(module: ParsedModule): Map<string, TaggedTarget> {
  const found = new Map<string, TaggedTarget>();
  const ignore = (): TagProblem => new TagProblem(0, 0, 'not a function');
  const defaultNames = new Set<string>();
  for (const statement of module.program.body) {
    const assigned = defaultExportAssignment(module, statement);
    if (assigned?.type === 'Identifier') defaultNames.add(assigned.name);
    if (assigned?.type === 'ArrowFunctionExpression' || assigned?.type === 'FunctionExpression') {
      found.set('default', { form: 'variable', node: statement, fn: assigned, name: 'default' });
    }
  }
  const visit = (node: SyntaxNode): void => {
    let target: TaggedTarget | undefined;
    if (isCandidate(node)) {
      try {
        target = taggedTarget(node, ignore);
      } catch (error) {
        if (!(error instanceof TagProblem)) throw error;
      }
    }
    if (target?.fn.body) {
      const topLevel = target.node.parent?.type === 'Program';
      const name =
        topLevel && target.form === 'declaration' && defaultNames.has(target.name)
          ? 'default'
          : qualify(target.node, target.name, target.form);
      if (!found.has(name)) found.set(name, target);
    }
    forEachChild(node, visit);
  };
  forEachChild(module.program, visit);
  return found;
}

/** A node a tag could sit on: a declaration (with its `export`, never without it), a `const` statement or a class method. */
function isCandidate(node: SyntaxNode): boolean {
  const parent = node.parent;
  const exportWraps = parent?.type === 'ExportNamedDeclaration' || parent?.type === 'ExportDefaultDeclaration';
  switch (node.type) {
    case 'FunctionDeclaration':
      return !exportWraps;
    case 'VariableDeclaration':
      return (
        !exportWraps &&
        (parent?.type === 'Program' || parent?.type === 'BlockStatement' || parent?.type === 'StaticBlock' || parent?.type === 'SwitchCase')
      );
    case 'ExportNamedDeclaration':
    case 'ExportDefaultDeclaration':
      return true;
    case 'MethodDefinition':
      return true;
    default:
      return false;
  }
}

/** The value of a top-level `exports.default = ...;` statement. */
function defaultExportAssignment(module: ParsedModule, statement: SyntaxNode): SyntaxNode | undefined {
  if (statement.type !== 'ExpressionStatement' || statement.expression.type !== 'AssignmentExpression') return undefined;
  const { left, right, operator } = statement.expression;
  if (operator !== '=' || left.type !== 'MemberExpression' || left.computed || left.property.type !== 'Identifier') return undefined;
  return module.text.slice(left.object.start, left.object.end) === 'exports' && left.property.name === 'default' ? right : undefined;
}

const factsKey = (fileName: string): string => `facts\u0000${fileName}`;

/**
 * The bad tags of one module, without rewriting it or hashing what it uses:
 * what a build checks before it emits anything.
 * @param graph - with a store, the bad tags a stored {@link moduleFacts} answer holds, while it holds (no parse).
 */
export function checkTags(code: string, fileName: string, graph?: ModuleGraph): readonly CachierDiagnostic[] {
  if (!code.includes('@cachier')) return [];
  const stored = graph && reuseStored<Pick<TransformResult, 'diagnostics'>>(graph, factsKey(fileName), { code, fileName }, code);
  if (stored) return stored.diagnostics;
  const module = parseModule(fileName, code);
  return analyzeSourceFile(module).problems.map((problem) => diagnosticOf(module, problem));
}
