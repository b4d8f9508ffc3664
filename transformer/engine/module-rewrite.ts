import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import type { FunctionForm } from './analyze.js';
import { hasModifier } from './syntax.js';
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
  readonly node: TS.Node;
  readonly fn: TS.FunctionLikeDeclaration;
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
  readonly ts: TypeScript;
  readonly sourceFile: TS.SourceFile;
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
  private readonly namedClasses = new Set<TS.ClassLikeDeclaration>();
  private readonly ts: TypeScript;
  private readonly text: string;

  constructor(private readonly settings: RewriteSettings) {
    this.ts = settings.ts;
    this.text = settings.sourceFile.text;
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
        const fn = target.fn as TS.FunctionDeclaration;
        const start = this.functionStart(fn);
        this.edits.replace(fn.getStart(), start, `export default ${this.open(target, true)}`, target.tagStart);
        this.edits.insert(fn.end, this.close(target, ';', true), target.tagStart);
        return;
      }
      case 'variable':
      case 'default-expression': {
        const expression = target.fn;
        this.edits.insert(expression.getStart(), this.open(target, true), target.tagStart);
        this.edits.insert(expression.end, this.close(target, '', true), target.tagStart);
        return;
      }
      case 'method':
      case 'static-method': {
        const owner = target.form === 'method' ? 'this.prototype' : 'this';
        const classLike = target.node.parent as TS.ClassLikeDeclaration;
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
  private nameAnonymousClass(classLike: TS.ClassLikeDeclaration): void {
    const { ts } = this;
    if (!ts.isClassDeclaration(classLike) || classLike.name || this.namedClasses.has(classLike)) return;
    this.namedClasses.add(classLike);
    const keyword = classLike.getChildren().find((child) => child.kind === ts.SyntaxKind.ClassKeyword);
    if (keyword) this.edits.insert(keyword.end, ` ${ANONYMOUS_CLASS}`);
  }

  /**
   * `export async function f(x: T): R {...}` becomes
   * `export const f = cachier(async function f(x: T): R {...}, {...});`, so
   * the checker and `.d.ts` output see `f`'s controls. Overload signatures
   * become the const's type.
   */
  private declarationAsConst(target: RewriteTarget): void {
    const { ts } = this;
    const fn = target.fn as TS.FunctionDeclaration;
    const isDefault = hasModifier(ts, fn, ts.SyntaxKind.DefaultKeyword);
    const exported = hasModifier(ts, fn, ts.SyntaxKind.ExportKeyword) && !isDefault;
    const signatures = this.overloadSignatures(fn);
    for (const signature of signatures) {
      const removed = this.text.slice(signature.getStart(), signature.end).replace(/[^\n]/g, '');
      this.edits.replace(signature.getStart(), signature.end, removed, target.tagStart);
    }
    const type = signatures.length === 0 ? '' : `: ${RUNTIME}.CachedFunction<${this.overloadType(signatures)}>`;
    this.edits.replace(
      fn.getStart(),
      this.functionStart(fn),
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
    const { ts } = this;
    const targets: string[] = [];
    for (const statement of this.settings.sourceFile.statements) {
      if (!ts.isExpressionStatement(statement) || !ts.isBinaryExpression(statement.expression)) continue;
      const { left, right, operatorToken } = statement.expression;
      if (operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isIdentifier(right) || right.text !== name) continue;
      if (ts.isPropertyAccessExpression(left) && /^(module\.)?exports$/.test(left.expression.getText())) targets.push(left.getText());
    }
    return targets;
  }

  private overloadSignatures(fn: TS.FunctionDeclaration): TS.FunctionDeclaration[] {
    const { ts } = this;
    const parent = fn.parent as TS.Block | TS.SourceFile;
    return parent.statements.filter(
      (statement): statement is TS.FunctionDeclaration =>
        ts.isFunctionDeclaration(statement) && statement !== fn && !statement.body && statement.name?.text === fn.name?.text,
    );
  }

  /** `((a: string) => string) & ((a: number) => number)`: an intersection of call signatures is an overloaded function type. */
  private overloadType(signatures: readonly TS.FunctionDeclaration[]): string {
    return signatures
      .map((signature) => {
        const typeParameters = signature.typeParameters
          ? `<${signature.typeParameters.map((parameter) => parameter.getText()).join(', ')}>`
          : '';
        const parameters = signature.parameters.map((parameter) => parameter.getText()).join(', ');
        return `(${typeParameters}(${parameters}) => ${signature.type?.getText() ?? 'unknown'})`;
      })
      .join(' & ');
  }

  /** Where the function expression starts in a declaration: its `async` modifier or its `function` keyword. */
  private functionStart(fn: TS.FunctionDeclaration): number {
    const { ts } = this;
    const asyncModifier = (ts.getModifiers(fn) ?? []).find((modifier) => modifier.kind === ts.SyntaxKind.AsyncKeyword);
    if (asyncModifier) return asyncModifier.getStart();
    const keyword = fn.getChildren().find((child) => child.kind === ts.SyntaxKind.FunctionKeyword);
    return keyword ? keyword.getStart() : fn.getStart();
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
    return wrapsExpression && this.settings.typescript && !this.ts.isArrowFunction(target.fn);
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
  private bindingHead(declaration: TS.Node, head: string): string {
    const { ts } = this;
    const importDeclaration = ts.findAncestor(declaration, ts.isImportDeclaration);
    if (!importDeclaration || !ts.isStringLiteral(importDeclaration.moduleSpecifier)) return head;
    const specifier = importDeclaration.moduleSpecifier.text;
    let namespace = this.imports.get(specifier);
    if (namespace === undefined) {
      namespace = `${IMPORTED}${this.imports.size}`;
      this.imports.set(specifier, namespace);
    }
    if (ts.isNamespaceImport(declaration)) return namespace;
    const imported = ts.isImportClause(declaration)
      ? 'default'
      : ((declaration as TS.ImportSpecifier).propertyName ?? (declaration as TS.ImportSpecifier).name).text;
    return `${namespace}.${imported}`;
  }

  /** After a shebang line and a directive prologue (`'use strict';`), on the same line as what follows. */
  private headerOffset(): number {
    const { ts } = this;
    let offset = this.text.startsWith('#!') ? this.text.indexOf('\n') + 1 : 0;
    if (offset === 0 && this.text.startsWith('#!')) offset = this.text.length;
    for (const statement of this.settings.sourceFile.statements) {
      if (!ts.isExpressionStatement(statement) || !ts.isStringLiteral(statement.expression)) break;
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
