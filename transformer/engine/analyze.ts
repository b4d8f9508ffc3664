import type { Function as FunctionNode, MethodDefinition, VariableDeclaration } from 'oxc-parser';
import { defaultIdOf } from './module-path.js';
import { findAncestor, forEachChild, parseModule, textOf, type ParsedModule, type SyntaxNode } from './parser.js';
import { TagProblem } from './problems.js';
import { declarationIn, findBinding, unwrapExport } from './scope.js';
import { sourceHashOf } from './source-hash.js';
import { checkTagOptions, type TagOption } from './tag-options.js';
import { backendNamed } from '../../runtime/backends/registry.js';
import { parseTag, type RawTag } from './tag-parser.js';

/** A function the tag may sit on: a declaration, an expression, an arrow function or a method's function. */
export type FunctionLike = FunctionNode | (SyntaxNode & { type: 'ArrowFunctionExpression' });

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
  /** The statement (with its `export`, if any) or class member the rewriter replaces. */
  readonly node: SyntaxNode;
  /** The function itself (the implementation, for overloaded functions). */
  readonly fn: FunctionLike;
  /** Its local name (binding or method name); `default` for an anonymous default export. */
  readonly name: string;
}

/** A function with a valid `@cachier` tag, and everything the rewriter needs to know about it. */
export interface TaggedFunction extends TaggedTarget {
  /** `module/path.ts#Qualified.name`, or the tag's `id=`. */
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
  readonly functions: ReadonlyMap<SyntaxNode, TaggedFunction>;
  /** Every bad tag, as a position and a message. */
  readonly problems: readonly TagProblem[];
  /** Whether the module gets the generated `clearCache` export. */
  readonly exportsClearCache: boolean;
}

/** Marks where generated declarations start in a source file the program transformer extended. */
export const GENERATED_MARKER = '/* cachier: generated declarations, not emitted as code */';

const analyses = new WeakMap<ParsedModule, ModuleAnalysis>();
const NO_TAGS: ModuleAnalysis = { functions: new Map(), problems: [], exportsClearCache: false };

/**
 * Finds every `@cachier` tag of a module, checks it and the function it sits
 * on. This is the one boundary where a {@link TagProblem} becomes a reported
 * problem: the function it concerns is left uncached. Results are cached per
 * parsed module, so the checker, the rewriter and the declarations agree.
 */
export function analyzeSourceFile(module: ParsedModule): ModuleAnalysis {
  const known = analyses.get(module);
  if (known) return known;
  const analysis = module.text.includes('@cachier') ? analyzeTags(module) : NO_TAGS;
  analyses.set(module, analysis);
  return analysis;
}

/** {@link analyzeSourceFile} of a module's text, parsed (once per text) by the engine's parser: for routes that hold a compiler's tree. */
export function analyzeModuleText(fileName: string, text: string): ModuleAnalysis {
  return analyzeSourceFile(parseModule(fileName, text));
}

function analyzeTags(module: ParsedModule): ModuleAnalysis {
  const functions = new Map<SyntaxNode, TaggedFunction>();
  const problems: TagProblem[] = [];
  const userCodeEnd = endOfUserCode(module.text);

  for (const comment of module.comments) {
    if (comment.start >= userCodeEnd || !module.text.slice(comment.start, comment.end).includes('@cachier')) continue;
    try {
      const tag = parseTag(module.text.slice(comment.start, comment.end), comment.start);
      // A tag sits on the outermost node that starts at the first token after it; one before a closing brace sits on nothing.
      const node = tag ? nodeStartingAt(module, firstTokenAfter(module, comment.end)) : undefined;
      if (tag && node) {
        const tagged = describeTaggedNode(node, tag, module.fileName);
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

  problems.push(...duplicateIds(functions.values()));
  for (const tagged of [...functions.values()]) {
    const early = usesBeforeDeclaration(module, tagged);
    // Left as written (a hoisted declaration), so the build reports only the cachier error.
    if (early.length > 0) functions.delete(tagged.node);
    problems.push(...early);
  }
  const hasModuleLevel = [...functions.values()].some((tagged) => tagged.moduleLevel);
  const conflicts = hasModuleLevel ? clearCacheConflicts(module, userCodeEnd) : [];
  problems.push(...conflicts);
  return { functions, problems, exportsClearCache: hasModuleLevel && conflicts.length === 0 };
}

/** The offset of the first token at or after `offset`: past whitespace and comments. */
function firstTokenAfter(module: ParsedModule, offset: number): number {
  const { text, comments } = module;
  let at = offset;
  for (;;) {
    while (at < text.length && /\s/.test(text[at] as string)) at += 1;
    const comment = comments.find((candidate) => candidate.start === at);
    if (!comment) return at;
    at = comment.end;
  }
}

/** The outermost node that starts at `offset`. */
function nodeStartingAt(module: ParsedModule, offset: number): SyntaxNode | undefined {
  let container: SyntaxNode = module.program;
  for (;;) {
    let next: SyntaxNode | undefined;
    forEachChild(container, (child) => {
      if (next === undefined && child.start <= offset && offset < child.end) next = child;
    });
    if (!next) return undefined;
    if (next.start === offset) return next;
    container = next;
  }
}

/** Where the user's code ends: generated declarations appended by the program transformer are not analyzed. */
function endOfUserCode(text: string): number {
  const marker = text.lastIndexOf(GENERATED_MARKER);
  return marker === -1 ? text.length : marker;
}

/**
 * The tagged function a tag is attached to (for a tag on the first overload
 * signature, the implementation), with its checked options.
 * @throws {@link TagProblem} when the tag or what it sits on cannot be cached.
 */
function describeTaggedNode(node: SyntaxNode, tag: RawTag, fileName: string): TaggedFunction {
  const at = (message: string): TagProblem => new TagProblem(tag.start, '@cachier'.length, message);
  const target = taggedTarget(node, at);
  const { form, fn, name } = target;
  if (findAncestor(target.node, (ancestor) => ancestor.type === 'TSModuleDeclaration')) {
    throw at(`functions inside a namespace cannot be tagged; move ${describe(name)} to the top level of the module`);
  }
  if (fn.generator)
    throw at(
      `${describe(name)} is a generator: its results are iterators, which cannot be cached; collect the values in a normal function and tag that`,
    );
  if (!fn.body) throw at(`${describe(name)} has no body to cache (it is declared, not implemented)`);
  const options = checkTagOptions(tag, { findBinding: (binding) => findBinding(target.node, binding) });
  const backend = options.find((option) => option.name === 'backend');
  if (backend?.value.kind === 'string' && backendNamed(backend.value.text)?.servesSync === false && !fn.async) {
    const chosen = backend.value.text;
    throw new TagProblem(
      backend.raw.valueStart,
      chosen.length,
      `backend=${chosen} serves async functions only (its driver is asynchronous); declare ${describe(name)} async or choose backend=file`,
    );
  }
  if (form === 'method') checkInstanceMethod(target, options, at);
  const explicitId = options.find((option) => option.name === 'id');
  const explicitHash = options.find((option) => option.name === 'sourceHash');
  const qualifiedName = qualify(target.node, name, form);
  const enclosingFunction = target.node.parent && findAncestor(target.node, isFunctionScope);
  const topLevel = target.node.parent?.type === 'Program';
  const exported = target.node.type === 'ExportNamedDeclaration' || target.node.type === 'ExportDefaultDeclaration';
  return {
    form,
    node: target.node,
    fn,
    name,
    id: explicitId?.value.kind === 'string' ? explicitId.value.text : defaultIdOf(fileName, qualifiedName),
    qualifiedName,
    sourceHash: explicitHash?.value.kind === 'string' ? explicitHash.value.text : sourceHashOf(fn),
    pinnedSourceHash: explicitHash !== undefined,
    options: options.filter((option) => option !== explicitId && option !== explicitHash),
    moduleLevel: enclosingFunction === undefined,
    mergeable: form === 'declaration' && topLevel && target.node.type !== 'ExportDefaultDeclaration',
    exported,
    tagStart: tag.start,
  };
}

function isFunctionScope(node: SyntaxNode): boolean {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';
}

/**
 * What a tag on `node` (the outermost node at the first token after it) sits
 * on. For a declaration, `node` of the answer is the statement with its
 * `export` wrapper, which the rewrite replaces.
 */
export function taggedTarget(node: SyntaxNode, at: (message: string) => TagProblem): TaggedTarget {
  const declaration = unwrapExport(node);
  if (node.type === 'ExportDefaultDeclaration' && declaration && isFunctionExpressionLike(declaration)) {
    return { form: 'default-expression', node, fn: declaration, name: 'default' };
  }
  if (declaration?.type === 'FunctionDeclaration' || declaration?.type === 'TSDeclareFunction') {
    const implementation = implementationOf(node, declaration, at);
    const wrapper = implementation.parent;
    const statement = wrapper?.type === 'ExportNamedDeclaration' || wrapper?.type === 'ExportDefaultDeclaration' ? wrapper : implementation;
    if (!implementation.id) return { form: 'anonymous-default', node: statement, fn: implementation, name: 'default' };
    return { form: 'declaration', node: statement, fn: implementation, name: implementation.id.name };
  }
  if (declaration?.type === 'VariableDeclaration') return variableTarget(node, declaration, at);
  if (node.type === 'MethodDefinition' || node.type === 'TSAbstractMethodDefinition') return methodTarget(node, at);
  if (node.type === 'Property' && (node.method || node.kind !== 'init')) {
    throw at('object literal methods cannot be tagged; tag a function declaration or a class method instead');
  }
  throw at(
    '@cachier tags functions only: a function declaration, a const bound to an arrow function or function expression, or a class method',
  );
}

function variableTarget(node: SyntaxNode, statement: VariableDeclaration, at: (message: string) => TagProblem): TaggedTarget {
  const declarations = statement.declarations;
  const declaration = declarations[0];
  if (declarations.length !== 1 || !declaration)
    throw at('tag one declaration per statement: split this statement so the tag sits above one const');
  const initializer = declaration.init;
  if (!initializer || !isFunctionExpressionLike(initializer) || declaration.id.type !== 'Identifier') {
    const bindingText = declaration.id.type === 'Identifier' ? declaration.id.name : textOf(declaration.id);
    throw at(`@cachier tags functions only, and ${bindingText} is not bound to an arrow function or function expression`);
  }
  if (statement.kind !== 'const') {
    throw at(`declare ${declaration.id.name} with const: reassigning a cached function would bypass its cache`);
  }
  return { form: 'variable', node, fn: initializer, name: declaration.id.name };
}

function methodTarget(node: MethodDefinition, at: (message: string) => TagProblem): TaggedTarget {
  if (node.kind === 'get' || node.kind === 'set') {
    throw at('getters and setters cannot be cached; move the work into a tagged method and call it from the accessor');
  }
  if (node.kind === 'constructor') throw at('constructors cannot be cached: they build a new object on every call');
  const name = plainMemberName(node);
  if (name === undefined) throw at('only methods with a plain name can be tagged (not private #names or computed [keys])');
  const implementation = methodImplementationOf(node, name, at);
  return { form: node.static ? 'static-method' : 'method', node: implementation, fn: implementation.value, name };
}

/**
 * The runtime keys a method called on an instance by that instance too, and
 * throws `UnkeyableThisError` when the instance has no `[cachierKey]()`
 * method. A class that declares none and extends nothing can have none, so
 * every call of its tagged method would throw: reported here, with the same
 * fixes. A class that extends another may inherit one: the runtime decides.
 * @throws {@link TagProblem} for such a method without `hash` or `allowNonStaticMethods`.
 */
function checkInstanceMethod(target: TaggedTarget, options: readonly TagOption[], at: (message: string) => TagProblem): void {
  const shared = options.some((option) => option.name === 'allowNonStaticMethods' && option.value.kind === 'boolean' && option.value.value);
  const keyedOtherwise = shared || options.some((option) => option.name === 'hash');
  const classLike = findAncestor(target.node, (ancestor) => ancestor.type === 'ClassDeclaration' || ancestor.type === 'ClassExpression');
  if (!classLike || (classLike.type !== 'ClassDeclaration' && classLike.type !== 'ClassExpression')) return;
  if (keyedOtherwise || classLike.superClass || classLike.body.body.some((member) => mayBeKeyMethod(member))) return;
  const holder = classLike.parent;
  const bound = holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier' ? holder.id.name : undefined;
  const className = classLike.id?.name ?? bound ?? 'this class';
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
function mayBeKeyMethod(member: SyntaxNode): boolean {
  if (!('computed' in member) || !member.computed || !('key' in member)) return false;
  const key = member.key as SyntaxNode;
  if (key.type === 'Literal' || key.type === 'TemplateLiteral') return false;
  return !(key.type === 'MemberExpression' && key.object.type === 'Identifier' && key.object.name === 'Symbol');
}

/** A class member's name when it is an identifier or a string, not computed or private. */
function plainMemberName(member: { key: SyntaxNode; computed: boolean }): string | undefined {
  if (member.computed) return undefined;
  if (member.key.type === 'Identifier') return member.key.name;
  if (member.key.type === 'Literal' && typeof member.key.value === 'string') return member.key.value;
  return undefined;
}

/**
 * For an overloaded function, the implementation the tag applies to, when the
 * tag sits on the first signature or on the implementation; throws otherwise.
 */
function implementationOf(node: SyntaxNode, fn: FunctionNode, at: (message: string) => TagProblem): FunctionNode {
  const name = fn.id?.name;
  const container = node.parent;
  const group = statementsOf(container)
    .map((sibling) => unwrapExport(sibling))
    .filter(
      (sibling): sibling is FunctionNode =>
        (sibling?.type === 'FunctionDeclaration' || sibling?.type === 'TSDeclareFunction') &&
        name !== undefined &&
        sibling.id?.name === name,
    );
  if (group.length <= 1) return fn;
  const implementation = group.find((member) => member.body !== null);
  if (fn === implementation || !implementation) return fn;
  if (fn !== group[0]) throw at(`put the @cachier tag on the first overload of ${describe(name ?? 'default')} or on its implementation`);
  return implementation;
}

function methodImplementationOf(node: MethodDefinition, name: string, at: (message: string) => TagProblem): MethodDefinition {
  const classBody = node.parent;
  if (classBody?.type !== 'ClassBody') return node;
  const group = classBody.body.filter(
    (member): member is MethodDefinition =>
      (member.type === 'MethodDefinition' || member.type === 'TSAbstractMethodDefinition') &&
      member.kind === 'method' &&
      plainMemberName(member) === name &&
      member.static === node.static,
  );
  if (group.length <= 1) return node;
  const implementation = group.find((member) => member.value.body !== null);
  if (node === implementation || !implementation) return node;
  if (node !== group[0]) throw at(`put the @cachier tag on the first overload of ${describe(name)} or on its implementation`);
  return implementation;
}

/** The statements of a block or module (none for anything else). */
export function statementsOf(container: SyntaxNode | null | undefined): readonly SyntaxNode[] {
  if (
    container?.type === 'Program' ||
    container?.type === 'BlockStatement' ||
    container?.type === 'TSModuleBlock' ||
    container?.type === 'StaticBlock'
  ) {
    return container.body;
  }
  return [];
}

function isFunctionExpressionLike(node: SyntaxNode): node is FunctionLike {
  return node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression';
}

function describe(name: string): string {
  return name === 'default' ? 'the default export' : name;
}

/** `Outer.inner`, `Class.prototype.method`, `Class.staticMethod`: the names enclosing the function, outermost first. */
export function qualify(node: SyntaxNode, name: string, form: FunctionForm): string {
  const parts = [name];
  if (form === 'method') parts.unshift('prototype');
  for (let ancestor = node.parent; ancestor && ancestor.type !== 'Program'; ancestor = ancestor.parent) {
    const ancestorName = nameOfScope(ancestor);
    if (ancestorName !== undefined) parts.unshift(ancestorName);
  }
  return parts.join('.');
}

function nameOfScope(node: SyntaxNode): string | undefined {
  switch (node.type) {
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
      return node.id?.name ?? 'default';
    case 'TSModuleDeclaration':
      return textOf(node.id);
    case 'MethodDefinition':
    case 'TSAbstractMethodDefinition':
      return node.kind === 'constructor' ? 'constructor' : textOf(node.key);
    case 'Property':
      // An object literal's method or accessor names its function; a property's value is named as an expression.
      return node.method || node.kind !== 'init' ? textOf(node.key) : undefined;
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassExpression': {
      const parent = node.parent;
      // A method's function is the method itself, named above.
      const isMethod = parent?.type === 'MethodDefinition' || parent?.type === 'TSAbstractMethodDefinition';
      if (isMethod || (parent?.type === 'Property' && parent.value === node && (parent.method || parent.kind !== 'init'))) return undefined;
      if (parent?.type === 'VariableDeclarator' && parent.init === node) {
        return parent.id.type === 'Identifier' ? parent.id.name : textOf(parent.id);
      }
      if (node.type === 'ArrowFunctionExpression') return 'anonymous';
      return node.id?.name ?? 'anonymous';
    }
    default:
      return undefined;
  }
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

/** Fields that hold types, which do not run. */
const TYPE_FIELDS = new Set(['typeAnnotation', 'returnType', 'typeParameters', 'typeArguments', 'superTypeArguments', 'implements']);

/**
 * References to a tagged top-level function declaration that run while the
 * module loads, above the declaration. The rewrite turns the declaration into
 * a `const`, which is not hoisted, so they would throw at run time. Code inside
 * functions runs later and is fine.
 */
function usesBeforeDeclaration(module: ParsedModule, tagged: TaggedFunction): TagProblem[] {
  if (tagged.form !== 'declaration' || tagged.node.parent?.type !== 'Program') return [];
  const problems: TagProblem[] = [];
  const visit = (node: SyntaxNode): void => {
    if (isFunctionScope(node) || (node.type.startsWith('TS') && !TS_EXPRESSIONS.has(node.type))) return;
    if ((node.type === 'ExportNamedDeclaration' && !node.declaration) || node.type === 'ExportAllDeclaration') return;
    if (node.type === 'Identifier' && node.name === tagged.name && isValueUse(node)) {
      problems.push(
        new TagProblem(
          node.start,
          node.name.length,
          `${node.name} is used here while the module loads, above its @cachier declaration, which the rewrite turns into a const that is not hoisted; move this code below the declaration`,
        ),
      );
    }
    forEachField(node, visit);
  };
  for (const statement of module.program.body) {
    if (statement === tagged.node) break;
    visit(statement);
  }
  return problems;
}

/** TypeScript nodes that hold code that runs. */
const TS_EXPRESSIONS = new Set([
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSInstantiationExpression',
  'TSEnumDeclaration',
  'TSEnumBody',
  'TSEnumMember',
  'TSExportAssignment',
]);

/** Children of `node` that are not types. */
function forEachField(node: SyntaxNode, visit: (child: SyntaxNode) => void): void {
  forEachChild(node, (child) => {
    const parentFields = node as unknown as Record<string, unknown>;
    for (const field of TYPE_FIELDS) if (parentFields[field] === child) return;
    visit(child);
  });
}

/** Whether an identifier is used as a value, not as a member or property name. */
function isValueUse(identifier: SyntaxNode): boolean {
  const parent = identifier.parent;
  if (parent?.type === 'MemberExpression' && parent.property === identifier && !parent.computed) return false;
  if (parent?.type === 'Property' && parent.key === identifier && !parent.computed) return false;
  return true;
}

/** A user declaration of `clearCache` at the top of a module that also gets the generated one. */
function clearCacheConflicts(module: ParsedModule, userCodeEnd: number): TagProblem[] {
  const problems: TagProblem[] = [];
  for (const statement of module.program.body) {
    if (statement.start >= userCodeEnd) break;
    const exportsName =
      statement.type === 'ExportNamedDeclaration' &&
      !statement.declaration &&
      statement.specifiers.some((specifier) => {
        const exported = specifier.exported;
        return (exported.type === 'Literal' ? exported.value : exported.name) === 'clearCache';
      });
    if (exportsName || declarationIn(statement, 'clearCache')) {
      problems.push(
        new TagProblem(
          statement.start + module.text.slice(statement.start, statement.end).indexOf('clearCache'),
          'clearCache'.length,
          'this module has @cachier functions, so cachier generates an exported clearCache() that clears all of their caches; rename this clearCache',
        ),
      );
    }
  }
  return problems;
}
