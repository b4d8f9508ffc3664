import type { Program } from 'oxc-parser';
import type { SyntaxNode } from './parser.js';

/**
 * The node that declares the value binding `name` visible at `node`: the name
 * of a declaration in the module or in an enclosing function, block or
 * parameter list, or the import specifier (default, named or namespace) that
 * brings it in. Syntactic on purpose, so every route agrees on what a tag may
 * name without a type checker.
 */
export function findBinding(node: SyntaxNode, name: string): SyntaxNode | undefined {
  for (let scope = node.parent; scope; scope = scope.parent) {
    const found = declarationInScope(scope, name);
    if (found) return found;
  }
  return undefined;
}

const moduleBindings = new WeakMap<Program, Map<string, SyntaxNode>>();

/** The module's top-level bindings by name, built once per module: lookups there are the hot path of dependency hashing. */
function moduleBinding(program: Program, name: string): SyntaxNode | undefined {
  let bindings = moduleBindings.get(program);
  if (!bindings) {
    bindings = new Map();
    for (const statement of program.body) {
      for (const declared of declaredNames(statement)) {
        if (!bindings.has(declared.name)) bindings.set(declared.name, declared.node);
      }
    }
    moduleBindings.set(program, bindings);
  }
  return bindings.get(name);
}

interface Declared {
  readonly name: string;
  readonly node: SyntaxNode;
}

/** The declaration an `export` statement wraps, or the statement itself. */
export function unwrapExport(statement: SyntaxNode): SyntaxNode | undefined {
  const isExport = statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration';
  return isExport ? (statement.declaration ?? undefined) : statement;
}

function declaredNames(statement: SyntaxNode): Declared[] {
  const declaration = unwrapExport(statement);
  if (!declaration) return [];
  switch (declaration.type) {
    case 'VariableDeclaration':
      return declaration.declarations.flatMap((declarator) => bindingNames(declarator.id));
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
    case 'TSEnumDeclaration':
    case 'TSImportEqualsDeclaration':
      return declaration.id ? [{ name: declaration.id.name, node: declaration.id }] : [];
    case 'TSModuleDeclaration':
      return declaration.id.type === 'Identifier' ? [{ name: declaration.id.name, node: declaration.id }] : [];
    case 'ImportDeclaration':
      if (declaration.importKind === 'type') return [];
      return declaration.specifiers
        .filter((specifier) => specifier.type !== 'ImportSpecifier' || specifier.importKind !== 'type')
        .map((specifier) => ({ name: specifier.local.name, node: specifier }));
    default:
      return [];
  }
}

/** The identifiers a binding pattern declares: `a`, `{ a, b: [c] }`, `...rest`, `x = 1`. */
export function bindingNames(pattern: SyntaxNode | null): Declared[] {
  if (!pattern) return [];
  switch (pattern.type) {
    case 'Identifier':
      return [{ name: pattern.name, node: pattern }];
    case 'ObjectPattern':
      return pattern.properties.flatMap((property) => bindingNames(property.type === 'RestElement' ? property.argument : property.value));
    case 'ArrayPattern':
      return pattern.elements.flatMap((element) => bindingNames(element));
    case 'AssignmentPattern':
      return bindingNames(pattern.left);
    case 'RestElement':
      return bindingNames(pattern.argument);
    case 'TSParameterProperty':
      return bindingNames(pattern.parameter);
    default:
      return [];
  }
}

function inStatements(statements: readonly SyntaxNode[], name: string): SyntaxNode | undefined {
  for (const statement of statements) {
    const found = declarationIn(statement, name);
    if (found) return found;
  }
  return undefined;
}

function declarationInScope(scope: SyntaxNode, name: string): SyntaxNode | undefined {
  switch (scope.type) {
    case 'Program':
      return moduleBinding(scope, name);
    case 'BlockStatement':
    case 'StaticBlock':
    case 'TSModuleBlock':
      return inStatements(scope.body, name);
    case 'SwitchCase':
      return inStatements(scope.consequent, name);
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'TSDeclareFunction':
    case 'TSEmptyBodyFunctionExpression': {
      if (scope.type === 'FunctionExpression' && scope.id?.name === name) return scope.id;
      return firstNamed(
        scope.params.flatMap((parameter) => bindingNames(parameter)),
        name,
      );
    }
    case 'ForStatement':
      return scope.init?.type === 'VariableDeclaration' ? inDeclarations(scope.init, name) : undefined;
    case 'ForInStatement':
    case 'ForOfStatement':
      return scope.left.type === 'VariableDeclaration' ? inDeclarations(scope.left, name) : undefined;
    case 'CatchClause':
      return firstNamed(bindingNames(scope.param), name);
    default:
      return undefined;
  }
}

function inDeclarations(declaration: SyntaxNode & { type: 'VariableDeclaration' }, name: string): SyntaxNode | undefined {
  return firstNamed(
    declaration.declarations.flatMap((declarator) => bindingNames(declarator.id)),
    name,
  );
}

function firstNamed(declared: readonly Declared[], name: string): SyntaxNode | undefined {
  return declared.find((candidate) => candidate.name === name)?.node;
}

/** The node of `statement` that declares or imports a value binding called `name`, if any. */
export function declarationIn(statement: SyntaxNode, name: string): SyntaxNode | undefined {
  return firstNamed(declaredNames(statement), name);
}
