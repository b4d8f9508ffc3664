import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { analyzeSourceFile, type TaggedFunction } from './analyze.js';
import { dependencyHashOf } from './dependency-hash.js';
import { hasModifier } from './syntax.js';
import type { TagValue } from './tag-options.js';

/**
 * Names the rewritten module uses. The `__cachier` prefix keeps them clear of
 * user names; they are plain identifiers (not unique names) so that every
 * module format's output refers to them as written.
 */
const RUNTIME = '__cachier';
const TAGGED = '__cachier_tagged';
const TRACK = '__cachier_track';
const IMPORTED = '__cachier_import_';

/**
 * A `before` transformer that rewrites every function with a valid
 * `@cachier` tag into a call of the public runtime, `cachier(fn, options)`,
 * with the id and source hash the transformer computed. Functions with bad
 * tags are left as written (their problems are reported as diagnostics).
 *
 * Given the `program`, the source hash also covers the project code and
 * package versions the function depends on ({@link dependencyHashOf});
 * without one (the Vite plugin) it covers the function's own source.
 */
export function createRewriter(ts: TypeScript, program?: TS.Program): TS.TransformerFactory<TS.SourceFile> {
  return (context) => (sourceFile) => {
    const analysis = analyzeSourceFile(ts, sourceFile);
    if (analysis.functions.size === 0) return sourceFile;
    const sourceHash = (tagged: TaggedFunction): string =>
      program && !tagged.pinnedSourceHash ? dependencyHashOf(ts, program, tagged.fn, tagged.sourceHash) : tagged.sourceHash;
    return new ModuleRewriter(ts, context, analysis.functions, sourceHash).rewrite(sourceFile, analysis.exportsClearCache);
  };
}

class ModuleRewriter {
  private readonly factory: TS.NodeFactory;
  /** Namespace imports added so tags can name imported bindings, by module specifier. */
  private readonly imports = new Map<string, TS.Identifier>();

  constructor(
    private readonly ts: TypeScript,
    private readonly context: TS.TransformationContext,
    private readonly functions: ReadonlyMap<TS.Node, TaggedFunction>,
    private readonly sourceHash: (tagged: TaggedFunction) => string,
  ) {
    this.factory = context.factory;
  }

  rewrite(sourceFile: TS.SourceFile, exportsClearCache: boolean): TS.SourceFile {
    const { ts } = this;
    const body = [...ts.visitNodes(sourceFile.statements, this.visit, ts.isStatement)];
    const prologue = body.findIndex((statement) => !isPrologue(ts, statement));
    const directives = body.splice(0, prologue === -1 ? body.length : prologue);
    const firstCode = body.findIndex((statement) => !ts.isImportDeclaration(statement) && !ts.isImportEqualsDeclaration(statement));
    const imports = body.splice(0, firstCode === -1 ? body.length : firstCode);
    const added = [this.runtimeImport(), ...[...this.imports].map(([specifier, name]) => this.namespaceImport(name, specifier))];
    const statements = exportsClearCache
      ? [...directives, ...added, ...imports, ...this.registry(), ...body, this.moduleClearCache()]
      : [...directives, ...added, ...imports, ...body];
    return this.factory.updateSourceFile(sourceFile, statements);
  }

  private readonly visit = (node: TS.Node): TS.VisitResult<TS.Node> => {
    const tagged = this.functions.get(node);
    if (tagged && tagged.form !== 'method' && tagged.form !== 'static-method') return this.rewriteFunction(tagged, node);
    const visited = this.ts.visitEachChild(node, this.visit, this.context);
    if (this.ts.isClassDeclaration(visited) || this.ts.isClassExpression(visited)) return this.withWrappedMethods(node as TS.ClassLikeDeclaration, visited);
    return visited;
  };

  private rewriteFunction(tagged: TaggedFunction, node: TS.Node): TS.VisitResult<TS.Node> {
    const { ts, factory } = this;
    const fn = ts.visitEachChild(tagged.fn, this.visit, this.context);
    switch (tagged.form) {
      case 'declaration':
      case 'anonymous-default': {
        const declaration = fn as TS.FunctionDeclaration;
        const expression = factory.createFunctionExpression(
          declaration.modifiers?.filter((modifier) => modifier.kind === ts.SyntaxKind.AsyncKeyword) as TS.Modifier[] | undefined,
          declaration.asteriskToken,
          declaration.name,
          declaration.typeParameters,
          declaration.parameters,
          declaration.type,
          declaration.body ?? factory.createBlock([]),
        );
        // The statement keeps the JSDoc; the function inside it must not print it a second time.
        ts.setSourceMapRange(ts.setEmitFlags(expression, ts.EmitFlags.NoComments), { pos: tagged.fn.getStart(), end: tagged.fn.end });
        const wrapped = this.wrap(tagged, expression);
        if (tagged.form === 'anonymous-default') return ts.setTextRange(factory.createExportDefault(wrapped), node);
        // A local const plus a separate export: CommonJS output then keeps the local name that other code refers to.
        const binding = this.constStatement(tagged.name, wrapped, node);
        if (!tagged.exported) return binding;
        const name = factory.createIdentifier(tagged.name);
        const exported = hasModifier(ts, node, ts.SyntaxKind.DefaultKeyword)
          ? factory.createExportDefault(name)
          : factory.createExportDeclaration(undefined, false, factory.createNamedExports([factory.createExportSpecifier(false, undefined, name)]));
        return [binding, exported];
      }
      case 'variable': {
        const statement = node as TS.VariableStatement;
        const declaration = statement.declarationList.declarations[0] as TS.VariableDeclaration;
        return factory.updateVariableStatement(
          statement,
          statement.modifiers,
          factory.updateVariableDeclarationList(statement.declarationList, [
            factory.updateVariableDeclaration(declaration, declaration.name, declaration.exclamationToken, declaration.type, this.wrap(tagged, fn as TS.Expression)),
          ]),
        );
      }
      case 'default-expression':
        return factory.updateExportAssignment(node as TS.ExportAssignment, (node as TS.ExportAssignment).modifiers, this.wrap(tagged, fn as TS.Expression));
      default:
        return node;
    }
  }

  /** Adds one static block to a class that wraps its tagged methods in place, on the prototype or the class itself. */
  private withWrappedMethods(original: TS.ClassLikeDeclaration, visited: TS.ClassDeclaration | TS.ClassExpression): TS.Node {
    const { ts, factory } = this;
    const methods = original.members.map((member) => this.functions.get(member)).filter((tagged) => tagged !== undefined);
    if (methods.length === 0) return visited;
    const wrapStatements = methods.map((tagged) => {
      const owner = tagged.form === 'method' ? factory.createPropertyAccessExpression(factory.createThis(), 'prototype') : factory.createThis();
      const method = factory.createElementAccessExpression(owner, factory.createStringLiteral(tagged.name));
      const descriptor = factory.createObjectLiteralExpression([
        factory.createPropertyAssignment('value', this.wrap(tagged, method)),
        factory.createPropertyAssignment('writable', factory.createTrue()),
        factory.createPropertyAssignment('configurable', factory.createTrue()),
      ]);
      const define = factory.createCallExpression(
        factory.createPropertyAccessExpression(factory.createIdentifier('Object'), 'defineProperty'),
        undefined,
        [owner, factory.createStringLiteral(tagged.name), descriptor],
      );
      return factory.createExpressionStatement(define);
    });
    const members = [...visited.members, factory.createClassStaticBlockDeclaration(factory.createBlock(wrapStatements, true))];
    // An anonymous `export default class` gets the name TypeScript generates for it, which its
    // down-levelled static block refers to (for targets before ES2022).
    const name = visited.name ?? (ts.isClassDeclaration(visited) ? factory.getGeneratedNameForNode(original) : undefined);
    return ts.isClassDeclaration(visited)
      ? factory.updateClassDeclaration(visited, visited.modifiers, name, visited.typeParameters, visited.heritageClauses, members)
      : factory.updateClassExpression(visited, visited.modifiers, visited.name, visited.typeParameters, visited.heritageClauses, members);
  }

  /** `__cachier.cachier(fn, { id, sourceHash, ...tag options })`, tracked for the module's `clearCache()` when created once per module load. */
  private wrap(tagged: TaggedFunction, fn: TS.Expression): TS.Expression {
    const { factory } = this;
    const properties = [
      factory.createPropertyAssignment('id', factory.createStringLiteral(tagged.id)),
      factory.createPropertyAssignment('sourceHash', factory.createStringLiteral(this.sourceHash(tagged))),
      ...tagged.options.map((option) => factory.createPropertyAssignment(option.name, this.valueExpression(option.value))),
    ];
    const call = factory.createCallExpression(
      factory.createPropertyAccessExpression(factory.createIdentifier(RUNTIME), 'cachier'),
      undefined,
      [fn, factory.createObjectLiteralExpression(properties, false)],
    );
    return tagged.moduleLevel ? factory.createCallExpression(factory.createIdentifier(TRACK), undefined, [call]) : call;
  }

  private valueExpression(value: TagValue): TS.Expression {
    const { factory } = this;
    switch (value.kind) {
      case 'string':
        return factory.createStringLiteral(value.text);
      case 'number':
        return factory.createNumericLiteral(value.value);
      case 'boolean':
        return value.value ? factory.createTrue() : factory.createFalse();
      case 'binding': {
        const [head, ...rest] = value.path;
        let expression = this.bindingHead(value.declaration, head as string);
        for (const name of rest) expression = factory.createPropertyAccessExpression(expression, name);
        return expression;
      }
    }
  }

  /**
   * A reference to the binding a tag names. An imported binding is reached
   * through a namespace import of the same module added here: the compiler
   * drops imports it sees no code use (a tag is a comment) and renames
   * imported bindings in CommonJS output, but it keeps and names a namespace
   * import as written.
   */
  private bindingHead(declaration: TS.Node, head: string): TS.Expression {
    const { ts, factory } = this;
    const importDeclaration = ts.findAncestor(declaration, ts.isImportDeclaration);
    if (!importDeclaration || !ts.isStringLiteral(importDeclaration.moduleSpecifier)) {
      // A local binding: point the generated name at its declaration so CommonJS output can rewrite `export const` references.
      return ts.setOriginalNode(factory.createIdentifier(head), declaration);
    }
    const specifier = importDeclaration.moduleSpecifier.text;
    let namespace = this.imports.get(specifier);
    if (!namespace) {
      namespace = factory.createIdentifier(`${IMPORTED}${this.imports.size}`);
      this.imports.set(specifier, namespace);
    }
    if (ts.isNamespaceImport(declaration)) return namespace;
    const imported = ts.isImportClause(declaration) ? 'default' : ((declaration as TS.ImportSpecifier).propertyName ?? (declaration as TS.ImportSpecifier).name).text;
    return factory.createPropertyAccessExpression(namespace, imported);
  }

  private runtimeImport(): TS.ImportDeclaration {
    return this.namespaceImport(this.factory.createIdentifier(RUNTIME), 'cachier');
  }

  private namespaceImport(name: TS.Identifier, specifier: string): TS.ImportDeclaration {
    const { factory } = this;
    return factory.createImportDeclaration(undefined, factory.createImportClause(false, undefined, factory.createNamespaceImport(name)), factory.createStringLiteral(specifier));
  }

  private constStatement(name: string, initializer: TS.Expression, range: TS.Node): TS.VariableStatement {
    const { ts, factory } = this;
    return ts.setTextRange(
      factory.createVariableStatement(
        undefined,
        factory.createVariableDeclarationList([factory.createVariableDeclaration(name, undefined, undefined, initializer)], ts.NodeFlags.Const),
      ),
      range,
    );
  }

  /** `const __cachier_tagged = []; function __cachier_track(cached) { __cachier_tagged.push(cached); return cached; }` */
  private registry(): TS.Statement[] {
    const { ts, factory } = this;
    const cached = factory.createIdentifier('cached');
    return [
      factory.createVariableStatement(
        undefined,
        factory.createVariableDeclarationList([factory.createVariableDeclaration(TAGGED, undefined, undefined, factory.createArrayLiteralExpression([]))], ts.NodeFlags.Const),
      ),
      factory.createFunctionDeclaration(
        undefined,
        undefined,
        TRACK,
        undefined,
        [factory.createParameterDeclaration(undefined, undefined, cached)],
        undefined,
        factory.createBlock([
          factory.createExpressionStatement(factory.createCallExpression(factory.createPropertyAccessExpression(factory.createIdentifier(TAGGED), 'push'), undefined, [cached])),
          factory.createReturnStatement(cached),
        ]),
      ),
    ];
  }

  /** `export function clearCache() { return Promise.all(__cachier_tagged.map((cached) => cached.clearCache())).then(() => undefined); }` */
  private moduleClearCache(): TS.FunctionDeclaration {
    const { ts, factory } = this;
    const cached = factory.createIdentifier('cached');
    const clearEach = factory.createArrowFunction(
      undefined,
      undefined,
      [factory.createParameterDeclaration(undefined, undefined, cached)],
      undefined,
      undefined,
      factory.createCallExpression(factory.createPropertyAccessExpression(cached, 'clearCache'), undefined, []),
    );
    const all = factory.createCallExpression(factory.createPropertyAccessExpression(factory.createIdentifier('Promise'), 'all'), undefined, [
      factory.createCallExpression(factory.createPropertyAccessExpression(factory.createIdentifier(TAGGED), 'map'), undefined, [clearEach]),
    ]);
    const toVoid = factory.createArrowFunction(undefined, undefined, [], undefined, undefined, factory.createVoidZero());
    return factory.createFunctionDeclaration(
      [factory.createModifier(ts.SyntaxKind.ExportKeyword)],
      undefined,
      'clearCache',
      undefined,
      [],
      undefined,
      factory.createBlock([factory.createReturnStatement(factory.createCallExpression(factory.createPropertyAccessExpression(all, 'then'), undefined, [toVoid]))]),
    );
  }
}

function isPrologue(ts: TypeScript, statement: TS.Statement): boolean {
  return ts.isExpressionStatement(statement) && ts.isStringLiteral(statement.expression);
}
