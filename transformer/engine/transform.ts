/**
 * The rewrite engine of cachier, shared by every toolchain: source text in;
 * the rewritten text with a source map, the bad tags with line and column,
 * and each tagged function's id and source hash out. It parses with the
 * TypeScript 6 parser this package brings ({@link bundledTypeScript}), so it
 * works the same under TypeScript 5.9, 6, 7 or none; under `tspc` it reads the
 * compiler's own syntax trees instead (the same trees: the hash ignores the
 * JSDoc only the compiler parses). Adapters (ts-patch, the `tsc` 7 route,
 * bundlers, Babel, Node hooks) only hand it code and take back code.
 * @packageDocumentation
 */
import type { SourceMap } from 'magic-string';
import type * as TS from 'typescript';
import { analyzeSourceFile, qualify, taggedTarget, type ModuleAnalysis, type TaggedTarget } from './analyze.js';
import { bundledTypeScript } from './bundled-typescript.js';
import { ModuleGraph, parseModule } from './module-graph.js';
import { rewriteModule, type ModuleFormat, type RewriteTarget } from './module-rewrite.js';
import { TagProblem } from './problems.js';
import type { TypeScript } from './typescript-api.js';

export type { ModuleFormat } from './module-rewrite.js';
export { ModuleGraph } from './module-graph.js';

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
  /** The cache id: `my-app:src/prices.ts#fetchPrices`, or the tag's `id=`. */
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
  /** The project's modules, for dependency hashing; share one across the modules of a build. Its TypeScript parses. Default: a new graph reading from disk, parsing with the bundled TypeScript 6. */
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
  const graph = input.graph ?? new ModuleGraph(bundledTypeScript());
  const ts = graph.ts;
  const { sourceFile, analysis, diagnostics, functions } = factsOf(source, graph);
  const tagged = [...analysis.functions.values()];
  if (tagged.length === 0) return { ...unchanged(input.code), diagnostics };
  const hashes = new Map(tagged.map((fn, index) => [fn, (functions[index] as FunctionFacts).sourceHash]));

  const target = input.original ? parseModule(ts, input.fileName, input.code) : sourceFile;
  const located = input.original ? locateFunctions(ts, target) : undefined;
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
    ts,
    sourceFile: target,
    format: input.format ?? 'esm',
    typescript: TYPESCRIPT_FILE.test(input.fileName),
    exportsClearCache: analysis.exportsClearCache,
  });
  if (edits.isEmpty) return { ...unchanged(input.code), diagnostics, functions };
  const { code, map } = edits.apply(input.fileName);
  return {
    changed: true,
    code,
    get map() {
      return map();
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
  const { diagnostics, functions } = factsOf(source, source.graph);
  return { diagnostics, functions };
}

function factsOf(
  source: { readonly code: string; readonly fileName: string },
  graph: ModuleGraph,
): { sourceFile: TS.SourceFile; analysis: ModuleAnalysis; diagnostics: CachierDiagnostic[]; functions: FunctionFacts[] } {
  const sourceFile = graph.module(source.fileName, source.code) as TS.SourceFile;
  const analysis = analyzeSourceFile(graph.ts, sourceFile);
  const diagnostics = analysis.problems.map((problem) => diagnosticOf(sourceFile, problem));
  const functions = [...analysis.functions.values()].map((fn) => ({
    id: fn.id,
    sourceHash: fn.pinnedSourceHash ? fn.sourceHash : graph.dependencyHash(fn.fn, fn.sourceHash),
    qualifiedName: fn.qualifiedName,
    line: sourceFile.getLineAndCharacterOfPosition(fn.tagStart).line + 1,
  }));
  return { sourceFile, analysis, diagnostics, functions };
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

function diagnosticOf(sourceFile: TS.SourceFile, problem: TagProblem): CachierDiagnostic {
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(problem.start);
  return {
    fileName: sourceFile.fileName,
    start: problem.start,
    length: problem.length,
    line: line + 1,
    column: character + 1,
    message: problem.message,
  };
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
function locateFunctions(ts: TypeScript, sourceFile: TS.SourceFile): Map<string, TaggedTarget> {
  const found = new Map<string, TaggedTarget>();
  const ignore = (): TagProblem => new TagProblem(0, 0, 'not a function');
  const defaultNames = new Set<string>();
  for (const statement of sourceFile.statements) {
    const assigned = defaultExportAssignment(ts, statement);
    if (assigned && ts.isIdentifier(assigned)) defaultNames.add(assigned.text);
    if (assigned && (ts.isArrowFunction(assigned) || ts.isFunctionExpression(assigned))) {
      found.set('default', { form: 'variable', node: statement, fn: assigned, name: 'default' });
    }
  }
  const visit = (node: TS.Node): void => {
    let target: TaggedTarget | undefined;
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isVariableStatement(node) ||
      ts.isExportAssignment(node) ||
      (ts.isMethodDeclaration(node) && ts.isClassLike(node.parent))
    ) {
      try {
        target = taggedTarget(ts, node, ignore);
      } catch (error) {
        if (!(error instanceof TagProblem)) throw error;
      }
    }
    if (target?.fn.body) {
      const topLevel = ts.isSourceFile(target.node.parent);
      const name =
        topLevel && target.form === 'declaration' && defaultNames.has(target.name)
          ? 'default'
          : qualify(ts, target.node, target.name, target.form);
      if (!found.has(name)) found.set(name, target);
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

/** The value of a top-level `exports.default = ...;` statement. */
function defaultExportAssignment(ts: TypeScript, statement: TS.Statement): TS.Expression | undefined {
  if (!ts.isExpressionStatement(statement) || !ts.isBinaryExpression(statement.expression)) return undefined;
  const { left, right, operatorToken } = statement.expression;
  if (operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isPropertyAccessExpression(left)) return undefined;
  return left.expression.getText() === 'exports' && left.name.text === 'default' ? right : undefined;
}

/**
 * The bad tags of one module, without rewriting it or hashing what it uses:
 * what a build checks before it emits anything.
 */
export function checkTags(code: string, fileName: string): readonly CachierDiagnostic[] {
  if (!code.includes('@cachier')) return [];
  const ts = bundledTypeScript();
  const sourceFile = parseModule(ts, fileName, code);
  return analyzeSourceFile(ts, sourceFile).problems.map((problem) => diagnosticOf(sourceFile, problem));
}
