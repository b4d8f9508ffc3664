import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Comment, Node, ParserOptions, ParseResult, Program } from 'oxc-parser';
import { MissingPeerError } from '../../runtime/errors.js';

/** A node of the ESTree (TS-ESTree for TypeScript) Oxc parses, with its parent link. */
export type SyntaxNode = Node;

/** One module as the engine reads it: its text, its tree and its comments (where tags are). */
export interface ParsedModule {
  readonly fileName: string;
  readonly text: string;
  readonly program: Program;
  readonly comments: readonly Comment[];
  /** The offset each line starts at, for 1-based lines and columns. */
  readonly lineStarts: readonly number[];
}

interface OxcParser {
  parseSync(fileName: string, text: string, options?: ParserOptions & { experimentalRawTransfer?: boolean }): ParseResult;
  rawTransferSupported(): boolean;
}

const INSTALL_PARSER = 'npm install --save-dev oxc-parser';
let loaded: OxcParser | undefined;
/** Whether trees come through Oxc's raw transfer (Node 22+, 64-bit little-endian): about twice as fast as through JSON, and the same trees. */
let rawTransfer = false;

/**
 * The native parser the engine reads modules with: `oxc-parser`, an optional
 * peer (about 5 MB, a prebuilt binary per platform), so runtime users do not
 * install it. Found beside this package or in the project; otherwise a
 * {@link MissingPeerError} names the install command. Loads in a few ms.
 */
export function nativeParser(): OxcParser {
  if (!loaded) {
    loaded = loadParser();
    rawTransfer = loaded.rawTransferSupported();
  }
  return loaded;
}

/**
 * Checks that the native parser is installed where {@link nativeParser} looks
 * for it, without loading it: for a tool that must stop before it writes
 * anything when the parser is missing, but may not need to parse at all (every
 * rewrite stored).
 * @throws {@link MissingPeerError} naming the install command.
 */
export function requireParserInstalled(): void {
  if (!loaded) fromParserLocations((require) => require.resolve('oxc-parser'));
}

function loadParser(): OxcParser {
  return fromParserLocations((require) => require('oxc-parser') as OxcParser);
}

/**
 * `use` with a `require` from beside this package, then from the project,
 * whichever finds the parser first; a {@link MissingPeerError} when neither does.
 */
function fromParserLocations<T>(use: (require: NodeJS.Require) => T): T {
  for (const require of [createRequire(import.meta.url), createRequire(join(process.cwd(), 'package.json'))]) {
    try {
      return use(require);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  throw new MissingPeerError(
    'oxc-parser',
    'the @cachier tag rewrite (cachier-tsc, tspc, the bundler plugins, Babel, Jest, cachier/register)',
    `Install the parser it reads your modules with: ${INSTALL_PARSER}`,
  );
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'MODULE_NOT_FOUND';
}

/** Parses are kept across builds (watch mode, dev servers) and reused while a file's text is unchanged. */
const parsedModules = new Map<string, ParsedModule>();
const modulesByProgram = new WeakMap<Program, ParsedModule>();

/**
 * `text` parsed as the module `fileName` (TypeScript, JSX or JavaScript by its
 * extension), with parent links, reused while the file's text is unchanged,
 * so a build that checks tags and then rewrites parses each module once.
 * Parentheses are not kept as nodes: `(x)` and `x` are the same tree, which
 * the source hash relies on.
 */
export function parseModule(fileName: string, text: string): ParsedModule {
  const known = parsedModules.get(fileName);
  if (known?.text === text) return known;
  const parser = nativeParser();
  const language = /\.[cm]?js$/.test(fileName) ? { lang: 'jsx' as const } : {};
  // TypeScript's shapes for JavaScript too (its extra fields empty): one set of fields per node type, which the hash skips when empty.
  const options = { preserveParens: false, astType: 'ts' as const, experimentalRawTransfer: rawTransfer, ...language };
  const result = parser.parseSync(fileName, text, options);
  linkParents(result.program);
  const parsed: ParsedModule = { fileName, text, program: result.program, comments: result.comments, lineStarts: lineStartsOf(text) };
  parsedModules.set(fileName, parsed);
  modulesByProgram.set(result.program, parsed);
  return parsed;
}

/** The modules of the nodes the dependency walk asks about (declarations, specifiers): each found by climbing once. */
const modulesByNode = new WeakMap<SyntaxNode, ParsedModule>();

/** The module a node of a {@link parseModule} tree belongs to. */
export function moduleOf(node: SyntaxNode): ParsedModule {
  let parsed = modulesByNode.get(node);
  if (parsed) return parsed;
  let root: SyntaxNode = node;
  while (root.parent) root = root.parent;
  parsed = root.type === 'Program' ? modulesByProgram.get(root) : undefined;
  if (!parsed) throw new Error(`a ${node.type} node outside any parsed module`);
  modulesByNode.set(node, parsed);
  return parsed;
}

/** The fields of each node type but its type, position and parent: found once per type (enumerating every node's keys costs more than the walk). */
const fieldsByType = new Map<string, readonly string[]>();
const NOT_CHILDREN = new Set(['type', 'start', 'end', 'range', 'parent']);

/** Calls `visit` for each child node of `node`, in the order of its fields. */
export function forEachChild(node: SyntaxNode, visit: (child: SyntaxNode) => void): void {
  const fields = node as unknown as Record<string, unknown>;
  let keys = fieldsByType.get(node.type);
  if (!keys) {
    keys = Object.keys(fields).filter((key) => !NOT_CHILDREN.has(key));
    fieldsByType.set(node.type, keys);
  }
  for (const key of keys) {
    const value = fields[key];
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) visit(item);
    } else if (isNode(value)) {
      visit(value);
    }
  }
}

export function isNode(value: unknown): value is SyntaxNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function linkParents(program: Program): void {
  const link = (parent: SyntaxNode): void => {
    forEachChild(parent, (child) => {
      (child as { parent?: SyntaxNode }).parent = parent;
      link(child);
    });
  };
  link(program);
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

/** The 1-based line and column of an offset. */
export function lineAndColumnOf(parsed: ParsedModule, offset: number): { line: number; column: number } {
  const starts = parsed.lineStarts;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((starts[middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - (starts[low] as number) + 1 };
}

/** The nearest ancestor of `node` (not `node` itself) that `test` accepts. */
export function findAncestor(node: SyntaxNode, test: (ancestor: SyntaxNode) => boolean): SyntaxNode | undefined {
  for (let ancestor = node.parent; ancestor; ancestor = ancestor.parent) if (test(ancestor)) return ancestor;
  return undefined;
}

/** The text of a node. */
export function textOf(node: SyntaxNode): string {
  return moduleOf(node).text.slice(node.start, node.end);
}
