import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { defaultIdOf } from './module-path.js';
import { TagProblem } from './problems.js';
import { declarationIn, findBinding } from './scope.js';
import { sourceHashOf } from './source-hash.js';
import { hasModifier } from './syntax.js';
import { checkTagOptions, type TagOption } from './tag-options.js';
import { backendNamed } from '../../runtime/backends/registry.js';
import { parseTag, type RawTag } from './tag-parser.js';

/** Where a tagged function sits, which decides how it is rewritten. */
export type FunctionForm =
  /** `function f() {}`, exported or not, at any depth. */
  | 'declaration'
  /** `export default function () {}` without a name. */
  | 'anonymous-default'
  /** `const f = () => {}` or `const f = function () {}`. */
  | 'variable'
  /** `export default () => {}`. */
  | 'default-expression'
  /** An instance method of a class. */
  | 'method'
  /** A static method of a class. */
  | 'static-method';

/** What a tag sits on: the function, its form and name, and the node the rewriter replaces. */
export interface TaggedTarget {
  readonly form: FunctionForm;
  /** The statement or class member the rewriter replaces. */
  readonly node: TS.Node;
  /** The function itself (the implementation, for overloaded functions). */
  readonly fn: TS.FunctionLikeDeclaration;
  /** Its local name (binding or method name); `default` for an anonymous default export. */
  readonly name: string;
}

/** A function with a valid `@cachier` tag, and everything the rewriter needs to know about it. */
export interface TaggedFunction extends TaggedTarget {
  /** `project:module/path.ts#Qualified.name`, or the tag's `id=`. */
  readonly id: string;
  /** The names enclosing the function, outermost first: `Shop.prototype.price`. */
  readonly qualifiedName: string;
  /** The hash of the function's own source, or the tag's `sourceHash=`. */
  readonly sourceHash: string;
  /** Whether the tag set `sourceHash=`, which then is used as it is. */
  readonly pinnedSourceHash: boolean;
  readonly options: readonly TagOption[];
  /** Created once per module load (not per call of an enclosing function), so the module's `clearCache()` clears it. */
  readonly moduleLevel: boolean;
  /** A named top-level function declaration: a namespace can merge with it to make its controls visible to the checker. */
  readonly mergeable: boolean;
  readonly exported: boolean;
  /** File offset of its `@cachier` tag. */
  readonly tagStart: number;
}

/** What {@link analyzeSourceFile} found in one module. */
export interface ModuleAnalysis {
  /** Tagged functions with valid tags, by the node the rewriter replaces. */
  readonly functions: ReadonlyMap<TS.Node, TaggedFunction>;
  /** Every bad tag, as a position and a message. */
  readonly problems: readonly TagProblem[];
  /** Whether the module gets the generated `clearCache` export. */
  readonly exportsClearCache: boolean;
}

/** Marks where generated declarations start in a source file the program transformer extended. */
export const GENERATED_MARKER = '/* cachier: generated declarations, not emitted as code */';

const analyses = new WeakMap<TS.SourceFile, ModuleAnalysis>();

/**
 * Finds every `@cachier` tag of a module, checks it and the function it sits
 * on. This is the one boundary where a {@link TagProblem} becomes a reported
 * problem: the function it concerns is left uncached. Results are cached per
 * source file, so the checker, the rewriter and the declarations agree.
 */
export function analyzeSourceFile(ts: TypeScript, sourceFile: TS.SourceFile): ModuleAnalysis {
  const known = analyses.get(sourceFile);
  if (known) return known;
  const analysis = sourceFile.text.includes('@cachier')
    ? analyzeTags(ts, sourceFile)
    : { functions: new Map(), problems: [], exportsClearCache: false };
  analyses.set(sourceFile, analysis);
  return analysis;
}

function analyzeTags(ts: TypeScript, sourceFile: TS.SourceFile): ModuleAnalysis {
  const functions = new Map<TS.Node, TaggedFunction>();
  const problems: TagProblem[] = [];
  const claimed = new Set<number>();
  const userCodeEnd = endOfUserCode(sourceFile);
  const holdsTag = tagFinder(sourceFile.text);

  const visit = (node: TS.Node): void => {
    // A tag lies in the leading comments of the node it sits on, within the node's range: subtrees without one are skipped.
    if (!holdsTag(node.pos, node.end) || node.getStart(sourceFile) >= userCodeEnd) return;
    for (const range of ts.getLeadingCommentRanges(sourceFile.text, node.pos) ?? []) {
      if (claimed.has(range.pos)) continue;
      claimed.add(range.pos);
      try {
        const tag = parseTag(sourceFile.text.slice(range.pos, range.end), range.pos);
        if (tag) {
          const tagged = describeTaggedNode(ts, node, tag, sourceFile);
          if (functions.has(tagged.node)) {
            throw new TagProblem(
              tag.start,
              '@cachier'.length,
              `${tagged.name} is tagged twice (on an overload and on its implementation); keep one tag`,
            );
          }
          functions.set(tagged.node, tagged);
        }
      } catch (error) {
        if (!(error instanceof TagProblem)) throw error;
        problems.push(error);
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);

  problems.push(...duplicateIds(functions.values()));
  for (const tagged of [...functions.values()]) {
    const early = usesBeforeDeclaration(ts, sourceFile, tagged);
    // Left as written (a hoisted declaration), so the build reports only the cachier error.
    if (early.length > 0) functions.delete(tagged.node);
    problems.push(...early);
  }
  const hasModuleLevel = [...functions.values()].some((tagged) => tagged.moduleLevel);
  const conflicts = hasModuleLevel ? clearCacheConflicts(ts, sourceFile, userCodeEnd) : [];
  problems.push(...conflicts);
  return { functions, problems, exportsClearCache: hasModuleLevel && conflicts.length === 0 };
}

/** Whether the text between two offsets holds `@cachier`, by a binary search of its occurrences. */
function tagFinder(text: string): (start: number, end: number) => boolean {
  const occurrences: number[] = [];
  for (let at = text.indexOf('@cachier'); at !== -1; at = text.indexOf('@cachier', at + 1)) occurrences.push(at);
  return (start, end) => {
    let low = 0;
    let high = occurrences.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((occurrences[middle] as number) < start) low = middle + 1;
      else high = middle;
    }
    return low < occurrences.length && (occurrences[low] as number) < end;
  };
}

/** Where the user's code ends: generated declarations appended by the program transformer are not analyzed. */
function endOfUserCode(sourceFile: TS.SourceFile): number {
  const marker = sourceFile.text.lastIndexOf(GENERATED_MARKER);
  return marker === -1 ? sourceFile.text.length : marker;
}

/**
 * The tagged function a tag is attached to (for a tag on the first overload
 * signature, the implementation), with its checked options.
 * @throws {@link TagProblem} when the tag or what it sits on cannot be cached.
 */
function describeTaggedNode(ts: TypeScript, node: TS.Node, tag: RawTag, sourceFile: TS.SourceFile): TaggedFunction {
  const at = (message: string): TagProblem => new TagProblem(tag.start, '@cachier'.length, message);
  const target = taggedTarget(ts, node, at);
  const { form, fn, name } = target;
  if (ts.findAncestor(target.node, ts.isModuleDeclaration)) {
    throw at(`functions inside a namespace cannot be tagged; move ${describe(name)} to the top level of the module`);
  }
  if (fn.asteriskToken)
    throw at(
      `${describe(name)} is a generator: its results are iterators, which cannot be cached; collect the values in a normal function and tag that`,
    );
  if (!fn.body) throw at(`${describe(name)} has no body to cache (it is declared, not implemented)`);
  const options = checkTagOptions(tag, { findBinding: (binding) => findBinding(ts, target.node, binding) });
  const isAsync = hasModifier(ts, fn, ts.SyntaxKind.AsyncKeyword);
  const backend = options.find((option) => option.name === 'backend');
  if (backend?.value.kind === 'string' && backendNamed(backend.value.text)?.servesSync === false && !isAsync) {
    const chosen = backend.value.text;
    throw new TagProblem(
      backend.raw.valueStart,
      chosen.length,
      `backend=${chosen} serves async functions only (its driver is asynchronous); declare ${describe(name)} async or choose backend=file`,
    );
  }
  if (form === 'method') checkInstanceMethod(ts, target, options, at);
  const explicitId = options.find((option) => option.name === 'id');
  const explicitHash = options.find((option) => option.name === 'sourceHash');
  const qualifiedName = qualify(ts, target.node, name, form);
  const enclosingFunction = ts.findAncestor(target.node.parent, (ancestor) => ts.isFunctionLike(ancestor));
  const topLevel = target.node.parent !== undefined && ts.isSourceFile(target.node.parent);
  const exported = hasModifier(ts, target.node, ts.SyntaxKind.ExportKeyword);
  return {
    form,
    node: target.node,
    fn,
    name,
    id: explicitId?.value.kind === 'string' ? explicitId.value.text : defaultIdOf(ts, sourceFile.fileName, qualifiedName),
    qualifiedName,
    sourceHash: explicitHash?.value.kind === 'string' ? explicitHash.value.text : sourceHashOf(ts, fn, sourceFile),
    pinnedSourceHash: explicitHash !== undefined,
    options: options.filter((option) => option !== explicitId && option !== explicitHash),
    moduleLevel: enclosingFunction === undefined,
    mergeable: form === 'declaration' && topLevel && !hasModifier(ts, target.node, ts.SyntaxKind.DefaultKeyword),
    exported,
    tagStart: tag.start,
  };
}

export function taggedTarget(ts: TypeScript, node: TS.Node, at: (message: string) => TagProblem): TaggedTarget {
  if (ts.isFunctionDeclaration(node)) {
    const implementation = implementationOf(ts, node, at);
    if (!implementation.name) return { form: 'anonymous-default', node: implementation, fn: implementation, name: 'default' };
    return { form: 'declaration', node: implementation, fn: implementation, name: implementation.name.text };
  }
  if (ts.isVariableStatement(node)) return variableTarget(ts, node, at);
  if (ts.isExportAssignment(node) && !node.isExportEquals && isFunctionExpressionLike(ts, node.expression)) {
    return { form: 'default-expression', node, fn: node.expression, name: 'default' };
  }
  if (ts.isMethodDeclaration(node)) return methodTarget(ts, node, at);
  if (ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) {
    throw at('getters and setters cannot be cached; move the work into a tagged method and call it from the accessor');
  }
  if (ts.isConstructorDeclaration(node)) throw at('constructors cannot be cached: they build a new object on every call');
  throw at(
    '@cachier tags functions only: a function declaration, a const bound to an arrow function or function expression, or a class method',
  );
}

function variableTarget(ts: TypeScript, node: TS.VariableStatement, at: (message: string) => TagProblem): TaggedTarget {
  const declarations = node.declarationList.declarations;
  const declaration = declarations[0];
  if (declarations.length !== 1 || !declaration)
    throw at('tag one declaration per statement: split this statement so the tag sits above one const');
  const initializer = declaration.initializer;
  if (!initializer || !isFunctionExpressionLike(ts, initializer) || !ts.isIdentifier(declaration.name)) {
    throw at(`@cachier tags functions only, and ${declaration.name.getText()} is not bound to an arrow function or function expression`);
  }
  if (!(node.declarationList.flags & ts.NodeFlags.Const)) {
    throw at(`declare ${declaration.name.text} with const: reassigning a cached function would bypass its cache`);
  }
  return { form: 'variable', node, fn: initializer, name: declaration.name.text };
}

function methodTarget(ts: TypeScript, node: TS.MethodDeclaration, at: (message: string) => TagProblem): TaggedTarget {
  if (!ts.isClassLike(node.parent))
    throw at('object literal methods cannot be tagged; tag a function declaration or a class method instead');
  if (!ts.isIdentifier(node.name) && !ts.isStringLiteral(node.name)) {
    throw at('only methods with a plain name can be tagged (not private #names or computed [keys])');
  }
  const implementation = implementationOf(ts, node, at);
  const isStatic = hasModifier(ts, node, ts.SyntaxKind.StaticKeyword);
  return { form: isStatic ? 'static-method' : 'method', node: implementation, fn: implementation, name: node.name.text };
}

/**
 * The runtime keys a method called on an instance by that instance too, and
 * throws `UnkeyableThisError` when the instance has no `[cachierKey]()`
 * method. A class that declares none and extends nothing can have none, so
 * every call of its tagged method would throw: reported here, with the same
 * fixes. A class that extends another may inherit one: the runtime decides.
 * @throws {@link TagProblem} for such a method without `hash` or `allowNonStaticMethods`.
 */
function checkInstanceMethod(
  ts: TypeScript,
  target: TaggedTarget,
  options: readonly TagOption[],
  at: (message: string) => TagProblem,
): void {
  const shared = options.some((option) => option.name === 'allowNonStaticMethods' && option.value.kind === 'boolean' && option.value.value);
  const keyedOtherwise = shared || options.some((option) => option.name === 'hash');
  const classLike = target.node.parent as TS.ClassLikeDeclaration;
  const extendsAnother = classLike.heritageClauses?.some((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword) ?? false;
  if (keyedOtherwise || extendsAnother || classLike.members.some((member) => mayBeKeyMethod(ts, member))) return;
  const holder = classLike.parent;
  const bound = ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) ? holder.name.text : undefined;
  const className = classLike.name?.text ?? bound ?? 'this class';
  throw at(
    `${target.name} is an instance method, so cachier keys each call by its instance too (instances never share entries), ` +
      `but ${className} has no [cachierKey]() method to key an instance by: every call would throw UnkeyableThisError. ` +
      `Give ${className} a [cachierKey]() method returning what tells its instances apart (import { cachierKey } from 'cachier'), ` +
      'add allowNonStaticMethods to this tag to share one cache across all instances on purpose, ' +
      `key with hash=..., or make ${target.name} static`,
  );
}

/**
 * Whether a class member may be the `[cachierKey]()` method: any member with
 * a computed name, unless the name is a literal or a well-known symbol
 * (`[Symbol.iterator]`). The symbol may be imported under another name, so
 * this errs on the side of no report: the runtime still checks each call.
 */
function mayBeKeyMethod(ts: TypeScript, member: TS.ClassElement): boolean {
  if (!member.name || !ts.isComputedPropertyName(member.name)) return false;
  const key = member.name.expression;
  if (ts.isStringLiteralLike(key) || ts.isNumericLiteral(key)) return false;
  return !(ts.isPropertyAccessExpression(key) && ts.isIdentifier(key.expression) && key.expression.text === 'Symbol');
}

/**
 * For an overloaded function, the implementation the tag applies to, when the
 * tag sits on the first signature or on the implementation; throws otherwise.
 */
function implementationOf<T extends TS.FunctionDeclaration | TS.MethodDeclaration>(
  ts: TypeScript,
  node: T,
  at: (message: string) => TagProblem,
): T {
  const name = node.name?.getText();
  const parent = node.parent;
  const siblings: readonly TS.Node[] = ts.isClassLike(parent)
    ? parent.members
    : 'statements' in parent
      ? (parent as TS.Block).statements
      : [];
  const isStatic = hasModifier(ts, node, ts.SyntaxKind.StaticKeyword);
  const group = siblings.filter(
    (sibling) =>
      (ts.isFunctionDeclaration(sibling) || ts.isMethodDeclaration(sibling)) &&
      name !== undefined &&
      sibling.name?.getText() === name &&
      hasModifier(ts, sibling, ts.SyntaxKind.StaticKeyword) === isStatic,
  ) as T[];
  if (group.length <= 1) return node;
  const implementation = group.find((member) => member.body !== undefined);
  if (node === implementation || !implementation) return node;
  if (node !== group[0]) throw at(`put the @cachier tag on the first overload of ${describe(name ?? 'default')} or on its implementation`);
  return implementation;
}

function isFunctionExpressionLike(ts: TypeScript, node: TS.Node): node is TS.ArrowFunction | TS.FunctionExpression {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

function describe(name: string): string {
  return name === 'default' ? 'the default export' : name;
}

/** `Outer.inner`, `Class.prototype.method`, `Class.staticMethod`: the names enclosing the function, outermost first. */
export function qualify(ts: TypeScript, node: TS.Node, name: string, form: FunctionForm): string {
  const parts = [name];
  if (form === 'method') parts.unshift('prototype');
  for (let ancestor = node.parent; ancestor && !ts.isSourceFile(ancestor); ancestor = ancestor.parent) {
    const ancestorName = nameOfScope(ts, ancestor);
    if (ancestorName !== undefined) parts.unshift(ancestorName);
  }
  return parts.join('.');
}

function nameOfScope(ts: TypeScript, node: TS.Node): string | undefined {
  if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) return node.name?.text ?? 'default';
  if (ts.isModuleDeclaration(node)) return node.name.getText();
  if (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if ((ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isClassExpression(node)) && ts.isVariableDeclaration(node.parent)) {
    return node.parent.name.getText();
  }
  if (ts.isFunctionExpression(node) || ts.isClassExpression(node)) return node.name?.text ?? 'anonymous';
  if (ts.isArrowFunction(node)) return 'anonymous';
  return undefined;
}

function duplicateIds(functions: Iterable<TaggedFunction>): TagProblem[] {
  const seen = new Set<string>();
  const problems: TagProblem[] = [];
  for (const tagged of functions) {
    if (seen.has(tagged.id)) {
      problems.push(
        new TagProblem(
          tagged.tagStart,
          '@cachier'.length,
          `two tagged functions share the cache id "${tagged.id}"; give one of them its own id=...`,
        ),
      );
    }
    seen.add(tagged.id);
  }
  return problems;
}

/**
 * References to a tagged top-level function declaration that run while the
 * module loads, above the declaration. The rewrite turns the declaration into
 * a `const`, which is not hoisted, so they would throw at run time. Code inside
 * functions runs later and is fine.
 */
function usesBeforeDeclaration(ts: TypeScript, sourceFile: TS.SourceFile, tagged: TaggedFunction): TagProblem[] {
  if (tagged.form !== 'declaration' || !ts.isSourceFile(tagged.node.parent)) return [];
  const problems: TagProblem[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isFunctionLike(node) || ts.isTypeNode(node) || ts.isExportDeclaration(node)) return;
    const isValueReference =
      ts.isIdentifier(node) &&
      node.text === tagged.name &&
      !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) &&
      !(ts.isPropertyAssignment(node.parent) && node.parent.name === node);
    if (isValueReference) {
      problems.push(
        new TagProblem(
          node.getStart(sourceFile),
          node.text.length,
          `${node.text} is used here while the module loads, above its @cachier declaration, which the rewrite turns into a const that is not hoisted; move this code below the declaration`,
        ),
      );
    }
    ts.forEachChild(node, visit);
  };
  for (const statement of sourceFile.statements) {
    if (statement === tagged.node) break;
    visit(statement);
  }
  return problems;
}

/** A user declaration of `clearCache` at the top of a module that also gets the generated one. */
function clearCacheConflicts(ts: TypeScript, sourceFile: TS.SourceFile, userCodeEnd: number): TagProblem[] {
  const problems: TagProblem[] = [];
  for (const statement of sourceFile.statements) {
    if (statement.getStart(sourceFile) >= userCodeEnd) break;
    const exportsName =
      ts.isExportDeclaration(statement) &&
      statement.exportClause !== undefined &&
      ts.isNamedExports(statement.exportClause) &&
      statement.exportClause.elements.some((element) => element.name.text === 'clearCache');
    if (exportsName || declarationIn(ts, statement, 'clearCache')) {
      problems.push(
        new TagProblem(
          statement.getStart() + statement.getText().indexOf('clearCache'),
          'clearCache'.length,
          'this module has @cachier functions, so cachier generates an exported clearCache() that clears all of their caches; rename this clearCache',
        ),
      );
    }
  }
  return problems;
}
