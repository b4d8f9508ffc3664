import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';

/**
 * The node that declares the value binding `name` visible at `node`: the name
 * of a declaration in the module or in an enclosing function, block or
 * parameter list, or the import clause, specifier or namespace import that
 * brings it in. Syntactic on purpose, so the Vite plugin (which has no type
 * checker) and `tspc` agree on what a tag may name.
 */
export function findBinding(ts: TypeScript, node: TS.Node, name: string): TS.Node | undefined {
  for (let scope: TS.Node | undefined = node.parent; scope; scope = scope.parent) {
    const found = declarationInScope(ts, scope, name);
    if (found) return found;
  }
  return undefined;
}

const moduleBindings = new WeakMap<TS.SourceFile, Map<string, TS.Node>>();

/** The module's top-level bindings by name, built once per source file: lookups there are the hot path of dependency hashing. */
function moduleBinding(ts: TypeScript, sourceFile: TS.SourceFile, name: string): TS.Node | undefined {
  let bindings = moduleBindings.get(sourceFile);
  if (!bindings) {
    bindings = new Map();
    for (const statement of sourceFile.statements) {
      for (const declared of declaredNames(ts, statement)) {
        if (!bindings.has(declared)) bindings.set(declared, declarationIn(ts, statement, declared) as TS.Node);
      }
    }
    moduleBindings.set(sourceFile, bindings);
  }
  return bindings.get(name);
}

function declaredNames(ts: TypeScript, statement: TS.Statement): string[] {
  if (ts.isVariableStatement(statement))
    return statement.declarationList.declarations.flatMap((declaration) => namesOfBinding(ts, declaration.name));
  if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement))
    return statement.name ? [statement.name.text] : [];
  if (ts.isModuleDeclaration(statement) || ts.isImportEqualsDeclaration(statement))
    return ts.isIdentifier(statement.name) ? [statement.name.text] : [];
  if (ts.isImportDeclaration(statement)) {
    const clause = statement.importClause;
    if (!clause || clause.isTypeOnly) return [];
    const names = clause.name ? [clause.name.text] : [];
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings))
      names.push(...bindings.elements.filter((element) => !element.isTypeOnly).map((element) => element.name.text));
    return names;
  }
  return [];
}

function namesOfBinding(ts: TypeScript, binding: TS.BindingName): string[] {
  if (ts.isIdentifier(binding)) return [binding.text];
  return binding.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : namesOfBinding(ts, element.name)));
}

function declarationInScope(ts: TypeScript, scope: TS.Node, name: string): TS.Node | undefined {
  if (ts.isSourceFile(scope)) return moduleBinding(ts, scope, name);
  if (ts.isBlock(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope)) {
    for (const statement of scope.statements) {
      const found = declarationIn(ts, statement, name);
      if (found) return found;
    }
    return undefined;
  }
  if (ts.isFunctionLike(scope)) {
    const ownName = (scope as TS.SignatureDeclaration).name;
    if (ts.isFunctionExpression(scope) && ownName && ts.isIdentifier(ownName) && ownName.text === name) return ownName;
    return firstOf(scope.parameters, (parameter) => bindingName(ts, parameter.name, name));
  }
  if (ts.isForStatement(scope) || ts.isForInStatement(scope) || ts.isForOfStatement(scope)) {
    const initializer = scope.initializer;
    if (!initializer || !ts.isVariableDeclarationList(initializer)) return undefined;
    return firstOf(initializer.declarations, (declaration) => bindingName(ts, declaration.name, name));
  }
  if (ts.isCatchClause(scope) && scope.variableDeclaration) return bindingName(ts, scope.variableDeclaration.name, name);
  return undefined;
}

/** The node of `statement` that declares or imports a value binding called `name`, if any. */
export function declarationIn(ts: TypeScript, statement: TS.Statement, name: string): TS.Node | undefined {
  if (ts.isVariableStatement(statement)) {
    return firstOf(statement.declarationList.declarations, (declaration) => bindingName(ts, declaration.name, name));
  }
  if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) {
    return statement.name?.text === name ? statement.name : undefined;
  }
  if (ts.isModuleDeclaration(statement) || ts.isImportEqualsDeclaration(statement)) {
    return ts.isIdentifier(statement.name) && statement.name.text === name ? statement.name : undefined;
  }
  if (ts.isImportDeclaration(statement)) return importedBinding(ts, statement, name);
  return undefined;
}

function importedBinding(ts: TypeScript, statement: TS.ImportDeclaration, name: string): TS.Node | undefined {
  const clause = statement.importClause;
  if (!clause || clause.isTypeOnly) return undefined;
  if (clause.name?.text === name) return clause;
  const bindings = clause.namedBindings;
  if (!bindings) return undefined;
  if (ts.isNamespaceImport(bindings)) return bindings.name.text === name ? bindings : undefined;
  return bindings.elements.find((element) => !element.isTypeOnly && element.name.text === name);
}

function bindingName(ts: TypeScript, binding: TS.BindingName, name: string): TS.Node | undefined {
  if (ts.isIdentifier(binding)) return binding.text === name ? binding : undefined;
  return firstOf(binding.elements, (element) => (ts.isOmittedExpression(element) ? undefined : bindingName(ts, element.name, name)));
}

function firstOf<T>(items: readonly T[], find: (item: T) => TS.Node | undefined): TS.Node | undefined {
  for (const item of items) {
    const found = find(item);
    if (found) return found;
  }
  return undefined;
}
