import { createHash } from 'node:crypto';
import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { modulePathOf } from './module-path.js';
import { sourceHashOf } from './source-hash.js';

/**
 * Extends a function's own source hash with what it depends on, so editing a
 * helper invalidates the cached functions that use it. The type checker
 * resolves every name the function uses; each function, class, variable, enum
 * or method of the project it lands on adds its own source hash and is followed
 * in turn (transitively; a set of visited declarations ends cycles). Code
 * from a package adds the package's name and version instead. Types,
 * TypeScript's own libraries and `@types` packages add nothing: they do not run.
 *
 * Answers `ownHash` unchanged when the function depends on nothing.
 */
export function dependencyHashOf(ts: TypeScript, program: TS.Program, fn: TS.Node, ownHash: string): string {
  const checker = program.getTypeChecker();
  const contributions = new Set<string>();
  const visited = new Set<TS.Node>([fn]);
  const pending: TS.Node[] = [fn];
  for (let node = pending.pop(); node; node = pending.pop()) {
    const walked = node;
    forEachIdentifier(ts, walked, (identifier) => {
      for (const declaration of declarationsOf(ts, checker, identifier)) {
        if (contains(walked, declaration)) continue;
        const unit = hashUnitOf(ts, declaration);
        if (!unit || visited.has(unit)) continue;
        visited.add(unit);
        const file = unit.getSourceFile();
        if (file.isDeclarationFile || program.isSourceFileFromExternalLibrary(file)) {
          const origin = packageOf(ts, program, file);
          if (origin) contributions.add(origin);
          continue;
        }
        contributions.add(`${modulePathOf(ts, file.fileName)}#${nameOf(unit)}:${sourceHashOf(ts, unit, file)}`);
        pending.push(unit);
      }
    });
  }
  if (contributions.size === 0) return ownHash;
  const digest = createHash('sha256').update(ownHash);
  for (const contribution of [...contributions].sort()) digest.update(`\u0000${contribution}`);
  return digest.digest('base64url').slice(0, 16);
}

function forEachIdentifier(ts: TypeScript, node: TS.Node, visit: (identifier: TS.Identifier) => void): void {
  if (ts.isIdentifier(node)) visit(node);
  ts.forEachChild(node, (child) => forEachIdentifier(ts, child, visit));
}

/** Where the value an identifier names is declared, through imports and shorthand properties. */
function declarationsOf(ts: TypeScript, checker: TS.TypeChecker, identifier: TS.Identifier): readonly TS.Declaration[] {
  let symbol = ts.isShorthandPropertyAssignment(identifier.parent)
    ? checker.getShorthandAssignmentValueSymbol(identifier.parent)
    : checker.getSymbolAtLocation(identifier);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol?.declarations ?? [];
}

function nameOf(declaration: TS.Node): string {
  return (declaration as TS.NamedDeclaration).name?.getText() ?? 'anonymous';
}

function contains(outer: TS.Node, inner: TS.Node): boolean {
  return outer.getSourceFile() === inner.getSourceFile() && inner.pos >= outer.pos && inner.end <= outer.end;
}

/** The declaration whose code runs: the whole function, class, variable (with its initializer), enum or member. */
function hashUnitOf(ts: TypeScript, declaration: TS.Declaration): TS.Node | undefined {
  const runs =
    ts.isFunctionDeclaration(declaration) ||
    ts.isClassDeclaration(declaration) ||
    ts.isEnumDeclaration(declaration) ||
    ts.isVariableDeclaration(declaration) ||
    ts.isMethodDeclaration(declaration) ||
    ts.isPropertyDeclaration(declaration) ||
    ts.isGetAccessorDeclaration(declaration) ||
    ts.isSetAccessorDeclaration(declaration);
  return runs ? declaration : undefined;
}

const packageOrigins = new Map<string, string | undefined>();

/** `name@version` of the package a declaration file belongs to; nothing for TypeScript's libraries and `@types`. */
function packageOf(ts: TypeScript, program: TS.Program, file: TS.SourceFile): string | undefined {
  if (program.isSourceFileDefaultLibrary(file)) return undefined;
  const path = file.fileName.replace(/\\/g, '/');
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules === -1) return undefined;
  const rest = path.slice(inModules + '/node_modules/'.length).split('/');
  const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  if (!name || name.startsWith('@types/')) return undefined;
  const manifest = `${path.slice(0, inModules)}/node_modules/${name}/package.json`;
  if (!packageOrigins.has(manifest)) {
    const text = ts.sys.readFile(manifest);
    const version = text === undefined ? undefined : (JSON.parse(text) as { version?: string }).version;
    packageOrigins.set(manifest, `${name}@${version ?? 'unknown'}`);
  }
  return packageOrigins.get(manifest);
}
