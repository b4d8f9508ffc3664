import type { Function as FunctionNode } from 'oxc-parser';
import { statementsOf, type FunctionForm, type FunctionLike } from './analyze.js';
import { findAncestor, type ParsedModule, type SyntaxNode } from './parser.js';
import { unwrapExport } from './scope.js';
import type { TagOption, TagValue } from './tag-options.js';
import { TextEdits } from './text-edits.js';

/**
 * Names the rewritten module uses. The `__cachier` prefix keeps them clear of
 * user names.
 */
const RUNTIME = '__cachier';
const MODULE_CACHES = '__cachier_module';
const IMPORTED = '__cachier_import_';
const ANONYMOUS_CLASS = '__cachier_default';

/** How the module being rewritten loads others: `import` (ES modules, and TypeScript sources of any format) or `require`. */
export type ModuleFormat = 'esm' | 'cjs';

/** One function to wrap, located in the text being rewritten, with the facts its tag gave. */
export interface RewriteTarget {
  readonly form: FunctionForm;
  /** The statement or class member to rewrite, in the text being rewritten. */
  readonly node: SyntaxNode;
  readonly fn: FunctionLike;
  readonly name: string;
  readonly id: string;
  readonly sourceHash: string;
  readonly options: readonly TagOption[];
  readonly moduleLevel: boolean;
  /** Where the tag is, in the original source: generated code is reported there. */
  readonly tagStart: number;
}

/** What {@link rewriteModule} needs besides the targets. */
export interface RewriteSettings {
  readonly module: ParsedModule;
  readonly format: ModuleFormat;
  /** TypeScript text (type annotations allowed, declarations become `const`) or JavaScript (declarations are reassigned). */
  readonly typescript: boolean;
  /** Whether to export a `clearCache()` clearing the module's caches. */
  readonly exportsClearCache: boolean;
}

/**
 * The rewrite as text edits: each target becomes a call of the public runtime,
 * `cachier(fn, { id, sourceHash, ...options })`, and the module gets the
 * runtime import. Edits never add or remove a line before the end of the
 * module, so line numbers (of stack traces, diagnostics) stay the user's.
 */
export function rewriteModule(targets: readonly RewriteTarget[], settings: RewriteSettings): TextEdits {
  return new ModuleRewrite(settings).rewrite(targets);
}

class ModuleRewrite {
  private readonly edits: TextEdits;
  private readonly imports = new Map<string, string>();
  private readonly namedClasses = new Set<SyntaxNode>();
  private readonly text: string;

  constructor(private readonly settings: RewriteSettings) {
    this.text = settings.module.text;
    this.edits = new TextEdits(this.text);
  }

  rewrite(targets: readonly RewriteTarget[]): TextEdits {
    if (targets.length === 0) return this.edits;
    for (const target of targets) this.rewriteTarget(target);
    const offset = this.headerOffset();
    const separator = offset > 0 && this.text[offset - 1] !== '\n' ? ' ' : '';
    this.edits.insert(offset, separator + this.header(targets.some((target) => target.moduleLevel)), 0);
    if (this.settings.exportsClearCache) {
      // Before a trailing `//# sourceMappingURL=` comment, which must stay last.
      const mapComment = /\n\/\/# sourceMappingURL=[^\n]*\s*$/.exec(this.text);
      const end = mapComment ? mapComment.index : this.text.length;
      this.edits.insert(end, this.moduleClearCache(), end);
    }
    return this.edits;
  }

  private rewriteTarget(target: RewriteTarget): void {
    switch (target.form) {
      case 'declaration':
        if (this.settings.typescript) this.declarationAsConst(target);
        else this.reassignDeclaration(target);
        return;
      case 'anonymous-default': {
        const fn = target.fn;
        this.edits.replace(target.node.start, fn.start, `export default ${this.open(target, true)}`, target.tagStart);
        this.edits.insert(fn.end, this.close(target, ';', true), target.tagStart);
        return;
      }
      case 'variable':
      case 'default-expression': {
        const expression = target.fn;
        this.edits.insert(expression.start, this.open(target, true), target.tagStart);
        this.edits.insert(expression.end, this.close(target, '', true), target.tagStart);
        return;
      }
      case 'method':
      case 'static-method': {
        const owner = target.form === 'method' ? 'this.prototype' : 'this';
        const classLike = target.node.parent?.parent as SyntaxNode;
        const classEnd = classLike.end - 1;
        this.nameAnonymousClass(classLike);
        const method = `${owner}[${JSON.stringify(target.name)}]`;
        const value = `${this.open(target)}${method}${this.close(target, '')}`;
        this.edits.insert(
          classEnd,
          ` static { Object.defineProperty(${owner}, ${JSON.stringify(target.name)}, { value: ${value}, writable: true, configurable: true }); }`,
          target.tagStart,
        );
        return;
      }
    }
  }

  /**
   * TypeScript's down-levelled output of a static block in an anonymous
   * `export default class` refers to a name it never declares; a class
   * declaration with a name avoids that.
   */
  private nameAnonymousClass(classLike: SyntaxNode): void {
    if (classLike.type !== 'ClassDeclaration' || classLike.id || this.namedClasses.has(classLike)) return;
    this.namedClasses.add(classLike);
    const from = classLike.decorators.at(-1)?.end ?? classLike.start;
    const keyword = /\bclass\b/.exec(this.text.slice(from, classLike.body.start));
    if (keyword) this.edits.insert(from + keyword.index + 'class'.length, ` ${ANONYMOUS_CLASS}`);
  }

  /**
   * `export async function f(x: T): R {...}` becomes
   * `export const f = cachier(async function f(x: T): R {...}, {...});`, so
   * the checker and `.d.ts` output see `f`'s controls. Overload signatures
   * become the const's type.
   */
  private declarationAsConst(target: RewriteTarget): void {
    const fn = target.fn as FunctionNode;
    const isDefault = target.node.type === 'ExportDefaultDeclaration';
    const exported = target.node.type === 'ExportNamedDeclaration';
    const signatures = this.overloadSignatures(target.node, fn);
    for (const signature of signatures) {
      const removed = this.text.slice(signature.start, signature.end).replace(/[^\n]/g, '');
      this.edits.replace(signature.start, signature.end, removed, target.tagStart);
    }
    const type = signatures.length === 0 ? '' : `: ${RUNTIME}.CachedFunction<${this.overloadType(signatures)}>`;
    this.edits.replace(
      target.node.start,
      fn.start,
      `${exported ? 'export ' : ''}const ${target.name}${type} = ${this.open(target, true)}`,
      target.tagStart,
    );
    this.edits.insert(fn.end, this.close(target, ';', true) + (isDefault ? ` export default ${target.name};` : ''), target.tagStart);
  }

  /**
   * JavaScript keeps the declaration, hoisting and all, and rebinds its name
   * to the cached function right after it: ES module exports follow the
   * binding, and CommonJS exports of the name (as `tsc` emits them, at the top
   * of the module) are assigned again.
   */
  private reassignDeclaration(target: RewriteTarget): void {
    const reexports = this.settings.format === 'cjs' ? this.commonJsExportsOf(target.name) : [];
    const assignments = reexports.map((exported) => ` ${exported} = ${target.name};`).join('');
    this.edits.insert(
      target.fn.end,
      ` ${target.name} = ${this.open(target)}${target.name}${this.close(target, ';')}${assignments}`,
      target.tagStart,
    );
  }

  /** `exports.f` and `module.exports.f` assigned `name` by a top-level statement of the module. */
  private commonJsExportsOf(name: string): string[] {
    const targets: string[] = [];
    for (const statement of this.settings.module.program.body) {
      if (statement.type !== 'ExpressionStatement' || statement.expression.type !== 'AssignmentExpression') continue;
      const { left, right, operator } = statement.expression;
      if (operator !== '=' || right.type !== 'Identifier' || right.name !== name) continue;
      const exportsObject = left.type === 'MemberExpression' && !left.computed ? this.text.slice(left.object.start, left.object.end) : '';
      if (/^(module\.)?exports$/.test(exportsObject)) {
        targets.push(this.text.slice(left.start, left.end));
      }
    }
    return targets;
  }

  /** The overload signatures of a declaration, each with its `export`: statements of the same block with the same name and no body. */
  private overloadSignatures(statement: SyntaxNode, fn: FunctionNode): SyntaxNode[] {
    return statementsOf(statement.parent).filter((sibling) => {
      const declaration = unwrapExport(sibling);
      return declaration?.type === 'TSDeclareFunction' && declaration !== fn && declaration.id?.name === fn.id?.name;
    });
  }

  /** `((a: string) => string) & ((a: number) => number)`: an intersection of call signatures is an overloaded function type. */
  private overloadType(signatures: readonly SyntaxNode[]): string {
    const text = (node: SyntaxNode): string => this.text.slice(node.start, node.end);
    return signatures
      .map((statement) => {
        const signature = unwrapExport(statement) as FunctionNode;
        const typeParameters = signature.typeParameters ? `<${signature.typeParameters.params.map(text).join(', ')}>` : '';
        const parameters = signature.params.map(text).join(', ');
        const returnType = signature.returnType ? text(signature.returnType.typeAnnotation) : 'unknown';
        return `(${typeParameters}(${parameters}) => ${returnType})`;
      })
      .join(' & ');
  }

  private open(target: RewriteTarget, wrapsExpression = false): string {
    return `${target.moduleLevel ? MODULE_CACHES : RUNTIME}.cachier(${this.isolates(target, wrapsExpression) ? '(' : ''}`;
  }

  private close(target: RewriteTarget, terminator: string, wrapsExpression = false): string {
    const isolated = this.isolates(target, wrapsExpression) ? ')!' : '';
    const properties = [`id: ${JSON.stringify(target.id)}`, `sourceHash: ${JSON.stringify(target.sourceHash)}`];
    for (const option of target.options) properties.push(`${option.name}: ${this.valueText(option.value)}`);
    return `${isolated}, { ${properties.join(', ')} })${terminator}`;
  }

  /**
   * TypeScript infers a `function` expression's type only after the other
   * arguments (its `this` could be contextually typed), which would check the
   * options against no type at all; as `(function ...)!` it is inferred first,
   * so a `hash=` that does not fit the function is a type error.
   */
  private isolates(target: RewriteTarget, wrapsExpression: boolean): boolean {
    return wrapsExpression && this.settings.typescript && target.fn.type !== 'ArrowFunctionExpression';
  }

  private valueText(value: TagValue): string {
    switch (value.kind) {
      case 'string':
        return JSON.stringify(value.text);
      case 'number':
      case 'boolean':
        return String(value.value);
      case 'binding': {
        const [head, ...rest] = value.path;
        return [this.bindingHead(value.declaration, head as string), ...rest].join('.');
      }
    }
  }

  /**
   * A reference to the binding a tag names. An imported binding is reached
   * through a namespace import of its module added here: compilers drop
   * imports that only a comment uses, and JavaScript emitted from TypeScript
   * has already dropped them.
   */
  private bindingHead(declaration: SyntaxNode, head: string): string {
    const importDeclaration = findAncestor(declaration, (ancestor) => ancestor.type === 'ImportDeclaration');
    if (importDeclaration?.type !== 'ImportDeclaration') return head;
    const specifier = importDeclaration.source.value;
    let namespace = this.imports.get(specifier);
    if (namespace === undefined) {
      namespace = `${IMPORTED}${this.imports.size}`;
      this.imports.set(specifier, namespace);
    }
    if (declaration.type === 'ImportNamespaceSpecifier') return namespace;
    if (declaration.type === 'ImportDefaultSpecifier') return `${namespace}.default`;
    if (declaration.type !== 'ImportSpecifier') return head;
    const imported =
      declaration.imported.type === 'Literal' ? `[${JSON.stringify(declaration.imported.value)}]` : `.${declaration.imported.name}`;
    return `${namespace}${imported}`;
  }

  /** After a shebang line and a directive prologue (`'use strict';`), on the same line as what follows. */
  private headerOffset(): number {
    let offset = this.text.startsWith('#!') ? this.text.indexOf('\n') + 1 : 0;
    if (offset === 0 && this.text.startsWith('#!')) offset = this.text.length;
    for (const statement of this.settings.module.program.body) {
      const directive =
        statement.type === 'ExpressionStatement' &&
        statement.expression.type === 'Literal' &&
        typeof statement.expression.value === 'string';
      if (!directive) break;
      offset = statement.end;
    }
    return offset;
  }

  private header(hasModuleLevel: boolean): string {
    const load = (name: string, specifier: string): string =>
      this.settings.format === 'esm'
        ? `import * as ${name} from ${JSON.stringify(specifier)};`
        : `const ${name} = require(${JSON.stringify(specifier)});`;
    const parts = [load(RUNTIME, 'cachier')];
    if (hasModuleLevel) parts.push(`const ${MODULE_CACHES} = ${RUNTIME}.moduleCaches();`);
    for (const [specifier, name] of this.imports) parts.push(load(name, specifier));
    return `${parts.join(' ')} `;
  }

  private moduleClearCache(): string {
    const body = `{ return ${MODULE_CACHES}.clearCache(); }`;
    // CommonJS TypeScript reaches the engine as 'cjs' only where it runs as written (Node's type stripping): no export syntax there.
    if (this.settings.format === 'cjs') return `\nexports.clearCache = function clearCache() ${body};\n`;
    return `\n/** Clears the caches of every cached function of this module. */\nexport function clearCache()${this.settings.typescript ? ': Promise<void>' : ''} ${body}\n`;
  }
}
