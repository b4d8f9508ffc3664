import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { modulePathOf } from './module-path.js';
import { findBinding } from './scope.js';
import { sourceHashOf } from './source-hash.js';

/** Reads a file's text, or answers `undefined` when there is none. */
export type ReadText = (fileName: string) => string | undefined;

/** A file's text, or `undefined` when it cannot be read (missing, a folder...). */
export const readFromDisk: ReadText = (fileName) => {
  try {
    return readFileSync(fileName, 'utf8');
  } catch {
    return undefined;
  }
};

interface ParsedModule {
  readonly text: string;
  readonly sourceFile: TS.SourceFile;
}

/** Parses are kept across builds (watch mode, dev servers) and reused while a file's text is unchanged; each TypeScript has its own (their syntax kinds differ). */
const parsedModules = new WeakMap<TypeScript, Map<string, ParsedModule>>();

/**
 * `text` parsed as the module `fileName` (TypeScript or JavaScript by its
 * extension, with parent links), reused while the file's text is unchanged,
 * so a build that checks tags and then rewrites parses each module once.
 */
export function parseModule(ts: TypeScript, fileName: string, text: string): TS.SourceFile {
  let parsed = parsedModules.get(ts);
  if (!parsed) {
    parsed = new Map();
    parsedModules.set(ts, parsed);
  }
  const known = parsed.get(fileName);
  if (known?.text === text) return known.sourceFile;
  // Tags are read from comment text, never from parsed JSDoc, so JSDoc is not parsed (a faster parse; TypeScript before 5.3 parses it, and the source hash skips it).
  const options = {
    languageVersion: ts.ScriptTarget.Latest,
    ...(ts.JSDocParsingMode ? { jsDocParsingMode: ts.JSDocParsingMode.ParseNone } : {}),
  };
  const sourceFile = ts.createSourceFile(fileName, text, options, true, scriptKindOf(ts, fileName));
  parsed.set(fileName, { text, sourceFile });
  return sourceFile;
}

/** A module a compiler has already parsed, if it has this file (see {@link ModuleGraph}). */
export type ParsedSource = (fileName: string) => TS.SourceFile | undefined;

/**
 * Gives a tree the compiler parsed the parent links the engine walks by (the
 * compiler's binder sets the same ones later).
 */
function linkParents(ts: TypeScript, sourceFile: TS.SourceFile): void {
  const link = (parent: TS.Node): void => {
    ts.forEachChild(parent, (child) => {
      (child as { parent: TS.Node }).parent = parent;
      link(child);
    });
  };
  link(sourceFile);
}

/** Each declaration's own source hash: a syntax tree never changes, so these hold across graphs (watch rebuilds). */
const unitHashes = new WeakMap<TS.Node, string>();
const BUILTINS = new Set(builtinModules);
/** How a relative specifier may name a source file: TypeScript's rules (`./x.js` is `./x.ts`), then JavaScript's. */
const SOURCE_EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  '.js': ['.ts', '.tsx', '.js', '.jsx'],
  '.jsx': ['.tsx', '.jsx'],
  '.mjs': ['.mts', '.mjs'],
  '.cjs': ['.cts', '.cjs'],
  '': ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '/index.ts', '/index.tsx', '/index.js'],
};

/**
 * The project's modules as the rewrite sees them, to extend a tagged
 * function's source hash with the code it uses. Names are resolved by syntax
 * alone (scopes, imports, exports, `this.member`), never by a type checker, so
 * every route (the compiler plugin, the `tsc` 7 route, bundlers, Babel, Node
 * hooks) computes the same hash for the same files, at the cost of a parse.
 *
 * Relative imports are followed into the project's files, with TypeScript's
 * resolution rules; imports of packages add the package's `name@version`;
 * Node's built-ins, globals and types add nothing. `paths` aliases of
 * `tsconfig.json` are not followed (they count as packages without a version).
 */
export class ModuleGraph {
  private readonly texts = new Map<string, string | undefined>();
  /** Each unit's direct dependencies, in the order its code names them: walked once per graph, however many tagged functions reach it. */
  private readonly directDependencies = new WeakMap<TS.Node, DirectDependencies>();
  /** While a unit's direct dependencies are found: the modules read on the way. */
  private consulted: Set<string> | undefined;
  private readonly filesBehindModule = new WeakMap<TS.SourceFile, Set<string>>();
  /** Where an import leads, by importing folder and specifier. */
  private readonly resolutions = new Map<string, Resolution>();
  private readonly linked = new WeakSet<TS.SourceFile>();
  /** A module's facts are asked for more than once (the tag check, the `tsc` route's rewrite of the emitted JavaScript): each hash is computed once. */
  /** What each reached declaration adds to a source hash, by the name it was reached under. */
  private readonly contributions = new WeakMap<TS.Node, Map<string, string>>();
  private readonly dependencyHashes = new WeakMap<
    TS.Node,
    { readonly ownHash: string; readonly hash: string; readonly files: ReadonlySet<string> }
  >();

  /**
   * @param ts - the TypeScript that parses (and whose syntax kinds the engine tests).
   * @param readText - reads a module's text; each file is read once per graph.
   * @param parsedSource - a compiler's own trees, used instead of parsing when
   *   the text is the same and parsed with ES2015 or later rules (as `parseModule` parses); they must come from `ts`.
   */
  constructor(
    readonly ts: TypeScript,
    private readonly readText: ReadText = readFromDisk,
    private readonly parsedSource?: ParsedSource,
  ) {}

  /** The text of the module at `fileName` (unparsed), or `undefined` when it cannot be read. Each file is read once per graph. */
  text(fileName: string): string | undefined {
    this.consulted?.add(fileName);
    if (!this.texts.has(fileName)) this.texts.set(fileName, this.readText(fileName));
    return this.texts.get(fileName);
  }

  /** The parsed module at `fileName`, or `undefined` when it cannot be read. Each file is read once per graph. */
  module(fileName: string, text?: string): TS.SourceFile | undefined {
    if (text !== undefined) this.texts.set(fileName, text);
    const current = this.text(fileName);
    if (current === undefined) return undefined;
    const compiled = this.parsedSource?.(fileName);
    if (compiled && compiled.text === current && compiled.languageVersion >= this.ts.ScriptTarget.ES2015) {
      if (!this.linked.has(compiled)) {
        linkParents(this.ts, compiled);
        this.linked.add(compiled);
      }
      return compiled;
    }
    return parseModule(this.ts, fileName, current);
  }

  /**
   * `ownHash` extended with the source hash of every declaration of the
   * project that `fn` reaches (transitively; a visited set ends cycles) and the
   * versions of the packages it imports. Answers `ownHash` unchanged when `fn`
   * depends on nothing.
   */
  dependencyHash(fn: TS.Node, ownHash: string): string {
    let known = this.dependencyHashes.get(fn);
    if (known?.ownHash !== ownHash) {
      known = this.computeDependencyHash(fn, ownHash);
      this.dependencyHashes.set(fn, known);
    }
    const module = fn.getSourceFile();
    const behind = this.filesBehindModule.get(module) ?? new Set([module.fileName]);
    for (const file of known.files) behind.add(file);
    this.filesBehindModule.set(module, behind);
    return known.hash;
  }

  /**
   * The files whose text went into the source hashes of `module`'s tagged
   * functions (asked through {@link dependencyHash}): the module, the modules
   * of what they reach, and the modules imports and re-exports led through. A
   * watch build whose files are all unchanged can reuse the module's rewrite.
   */
  filesBehind(module: TS.SourceFile): ReadonlySet<string> {
    return this.filesBehindModule.get(module) ?? new Set([module.fileName]);
  }

  /** {@link filesBehind} of the module at `fileName`, as this graph read it. */
  filesBehindFile(fileName: string): ReadonlySet<string> {
    const module = this.module(fileName);
    return module ? this.filesBehind(module) : new Set([fileName]);
  }

  private computeDependencyHash(fn: TS.Node, ownHash: string): { ownHash: string; hash: string; files: ReadonlySet<string> } {
    const files = new Set<string>();
    const contributions = new Set<string>();
    const visited = new Set<TS.Node>([fn]);
    const pending: TS.Node[] = [fn];
    const add = (dependency: Dependency): void => {
      if (dependency.kind === 'package') {
        contributions.add(dependency.origin);
      } else if (!visited.has(dependency.unit)) {
        visited.add(dependency.unit);
        contributions.add(this.contributionOf(dependency.unit, dependency.name));
        pending.push(dependency.unit);
      }
    };
    for (let unit = pending.pop(); unit; unit = pending.pop()) {
      const direct = this.directDependenciesOf(unit);
      files.add(unit.getSourceFile().fileName);
      for (const file of direct.files) files.add(file);
      for (const dependency of direct.dependencies) add(dependency);
    }
    if (contributions.size === 0) return { ownHash, hash: ownHash, files };
    // One update of the joined text: the same bytes, so the same digest, as an update per contribution.
    const digest = createHash('sha256').update(`${ownHash}\u0000${[...contributions].sort().join('\u0000')}`);
    return { ownHash, hash: digest.digest('base64url').slice(0, 16), files };
  }

  private directDependenciesOf(unit: TS.Node): DirectDependencies {
    let direct = this.directDependencies.get(unit);
    if (!direct) {
      const dependencies: Dependency[] = [];
      const files = new Set<string>();
      this.consulted = files;
      try {
        forEachValueReference(this.ts, unit, (reference) => {
          dependencies.push(...this.dependenciesOf(reference, unit));
        });
      } finally {
        this.consulted = undefined;
      }
      direct = { dependencies, files };
      this.directDependencies.set(unit, direct);
    }
    return direct;
  }

  /** `src/m.ts#name:hash`, what a reached declaration adds to a source hash; made once per graph, however many tagged functions reach it. */
  private contributionOf(unit: TS.Node, name: string): string {
    let byName = this.contributions.get(unit);
    if (!byName) {
      byName = new Map();
      this.contributions.set(unit, byName);
    }
    let contribution = byName.get(name);
    if (contribution === undefined) {
      contribution = `${modulePathOf(this.ts, unit.getSourceFile().fileName)}#${name}:${this.hashOf(unit)}`;
      byName.set(name, contribution);
    }
    return contribution;
  }

  private hashOf(unit: TS.Node): string {
    let hash = unitHashes.get(unit);
    if (hash === undefined) {
      hash = sourceHashOf(this.ts, unit, unit.getSourceFile());
      unitHashes.set(unit, hash);
    }
    return hash;
  }

  private dependenciesOf(reference: Reference, walked: TS.Node): Dependency[] {
    const { ts } = this;
    if (reference.kind === 'member') {
      const owner = ts.findAncestor(reference.at, ts.isClassLike);
      if (!owner) return [];
      const className = owner.name?.text ?? 'anonymous';
      return owner.members
        .filter(
          (member) => member.name !== undefined && !ts.isComputedPropertyName(member.name) && member.name.getText() === reference.name,
        )
        .map((member) => ({ kind: 'declaration', unit: member, name: `${className}.${reference.name}` }));
    }
    const declaration = findBinding(ts, reference.identifier, reference.identifier.text);
    if (!declaration || contains(walked, declaration)) return [];
    if (reference.member !== undefined && ts.isNamespaceImport(declaration)) {
      const target = this.importedModule(declaration);
      return target ? this.exported(target, reference.member, 0) : [];
    }
    return this.bindingDependencies(declaration, 0);
  }

  /** What a binding's declaration (a name node from {@link findBinding}) contributes. */
  private bindingDependencies(declaration: TS.Node, depth: number): Dependency[] {
    const { ts } = this;
    if (ts.isImportSpecifier(declaration) || ts.isImportClause(declaration) || ts.isNamespaceImport(declaration)) {
      const target = this.importedModule(declaration);
      if (!target) return [];
      if (target.kind === 'package') return [target];
      if (ts.isNamespaceImport(declaration)) return [{ kind: 'declaration', unit: target.sourceFile, name: '*' }];
      const name = ts.isImportClause(declaration) ? 'default' : (declaration.propertyName ?? declaration.name).text;
      return this.exported(target, name, depth);
    }
    const unit = unitOf(ts, declaration);
    return unit ? [{ kind: 'declaration', unit, name: nameOf(ts, unit) }] : [];
  }

  private importedModule(declaration: TS.Node): Target | undefined {
    const statement = this.ts.findAncestor(declaration, this.ts.isImportDeclaration);
    if (!statement || !this.ts.isStringLiteral(statement.moduleSpecifier)) return undefined;
    return this.resolve(declaration.getSourceFile().fileName, statement.moduleSpecifier.text);
  }

  /** Where `specifier`, imported by `fromFile`, leads: a module of the project or a package. */
  private resolve(fromFile: string, specifier: string): Target | undefined {
    const key = `${dirname(fromFile)}\u0000${specifier}`;
    let resolution = this.resolutions.get(key);
    if (!resolution) {
      resolution = this.resolution(fromFile, specifier);
      this.resolutions.set(key, resolution);
    }
    if (resolution.kind === 'package') return resolution;
    const sourceFile = resolution.fileName === undefined ? undefined : this.module(resolution.fileName);
    return sourceFile ? { kind: 'module', sourceFile } : undefined;
  }

  private resolution(fromFile: string, specifier: string): Resolution {
    if (specifier.startsWith('.') || specifier.startsWith('/'))
      return { kind: 'file', fileName: this.sourceFileFor(resolvePath(dirname(fromFile), specifier)) };
    if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return { kind: 'file', fileName: undefined };
    return { kind: 'package', origin: packageOrigin(fromFile, specifier) };
  }

  private sourceFileFor(path: string): string | undefined {
    const extension = /\.[cm]?jsx?$/.exec(path)?.[0] ?? '';
    const base = extension === '' ? path : path.slice(0, -extension.length);
    if (/\.[cm]?tsx?$/.test(path) && isFile(path)) return path;
    for (const candidate of SOURCE_EXTENSIONS[extension] ?? []) {
      if (isFile(base + candidate)) return base + candidate;
    }
    return undefined;
  }

  /** The declarations a module exports under `name`, following re-exports. */
  private exported(target: Target, name: string, depth: number): Dependency[] {
    if (target.kind === 'package') return [target];
    if (depth > 16) return [];
    const { ts } = this;
    const { sourceFile } = target;
    for (const statement of sourceFile.statements) {
      if (ts.isExportAssignment(statement) && !statement.isExportEquals && name === 'default') {
        return [{ kind: 'declaration', unit: statement, name: 'default' }];
      }
      if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
        const found = this.reexported(statement, name, depth);
        if (found) return found;
        continue;
      }
      if (!isExported(ts, statement)) continue;
      const isDefault =
        ts.canHaveModifiers(statement) &&
        (ts.getModifiers(statement) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.DefaultKeyword);
      if (isDefault && name === 'default' && (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement))) {
        return [{ kind: 'declaration', unit: statement, name: 'default' }];
      }
      if (ts.isVariableStatement(statement)) {
        const declaration = statement.declarationList.declarations.find(
          (candidate) => ts.isIdentifier(candidate.name) && candidate.name.text === name,
        );
        if (declaration) return [{ kind: 'declaration', unit: declaration, name }];
      } else if (
        (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
        statement.name?.text === name &&
        !isDefault
      ) {
        return [{ kind: 'declaration', unit: statement, name }];
      }
    }
    return [];
  }

  private reexported(statement: TS.ExportDeclaration, name: string, depth: number): Dependency[] | undefined {
    const { ts } = this;
    const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
    const clause = statement.exportClause;
    if (!clause) {
      // `export * from './m'` re-exports everything but the default.
      if (from === undefined || name === 'default') return undefined;
      const target = this.resolve(statement.getSourceFile().fileName, from);
      const found = target ? this.exported(target, name, depth + 1) : [];
      return found.length > 0 ? found : undefined;
    }
    if (ts.isNamespaceExport(clause)) {
      if (clause.name.text !== name || from === undefined) return undefined;
      const target = this.resolve(statement.getSourceFile().fileName, from);
      if (!target) return [];
      return target.kind === 'package' ? [target] : [{ kind: 'declaration', unit: target.sourceFile, name: '*' }];
    }
    const element = clause.elements.find((candidate) => !candidate.isTypeOnly && candidate.name.text === name);
    if (!element) return undefined;
    const local = (element.propertyName ?? element.name).text;
    if (from !== undefined) {
      const target = this.resolve(statement.getSourceFile().fileName, from);
      return target ? this.exported(target, local, depth + 1) : [];
    }
    const declaration = findBinding(ts, statement, local);
    return declaration ? this.bindingDependencies(declaration, depth + 1) : [];
  }
}

type Target = { readonly kind: 'module'; readonly sourceFile: TS.SourceFile } | PackageDependency;
interface PackageDependency {
  readonly kind: 'package';
  /** `name@version` */
  readonly origin: string;
}
/** A unit's dependencies in the order its code names them, and the modules read to find them. */
interface DirectDependencies {
  readonly dependencies: readonly Dependency[];
  readonly files: ReadonlySet<string>;
}

/** Where an import leads before its module is read: a project file (none when it names none, or a built-in), or a package. */
type Resolution = { readonly kind: 'file'; readonly fileName: string | undefined } | PackageDependency;
type Dependency = { readonly kind: 'declaration'; readonly unit: TS.Node; readonly name: string } | PackageDependency;

/** A name the walked code uses as a value: a binding, a member of `this`, or a member of a namespace import. */
type Reference =
  | { readonly kind: 'binding'; readonly identifier: TS.Identifier; readonly member?: string }
  | { readonly kind: 'member'; readonly at: TS.Node; readonly name: string };

/** Calls `visit` for every value reference under `node`; types, which do not run, are skipped. */
function forEachValueReference(ts: TypeScript, node: TS.Node, visit: (reference: Reference) => void): void {
  const walk = (current: TS.Node): void => {
    if (
      ts.isTypeNode(current) ||
      ts.isInterfaceDeclaration(current) ||
      ts.isTypeAliasDeclaration(current) ||
      ts.isTypeParameterDeclaration(current)
    )
      return;
    if (ts.isImportDeclaration(current) || ts.isExportDeclaration(current)) return;
    if (ts.isPropertyAccessExpression(current)) {
      const member = current.name.text;
      if (current.expression.kind === ts.SyntaxKind.ThisKeyword) {
        visit({ kind: 'member', at: current, name: member });
        return;
      }
      if (ts.isIdentifier(current.expression)) {
        visit({ kind: 'binding', identifier: current.expression, member });
        return;
      }
      walk(current.expression);
      return;
    }
    if (ts.isIdentifier(current)) {
      if (isValueReference(ts, current)) visit({ kind: 'binding', identifier: current });
      return;
    }
    ts.forEachChild(current, walk);
  };
  walk(node);
}

/** Whether an identifier names a binding (not a property key, a declaration's own name or a label). */
function isValueReference(ts: TypeScript, identifier: TS.Identifier): boolean {
  const parent = identifier.parent;
  if (!parent) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isPropertySignature(parent)) &&
    parent.name === identifier
  )
    return false;
  if ((ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) && parent.label === identifier) return false;
  if (ts.isJsxAttribute(parent) || ts.isQualifiedName(parent)) return false;
  if (ts.isBindingElement(parent) && parent.propertyName === identifier) return false;
  return true;
}

function isExported(ts: TypeScript, statement: TS.Statement): boolean {
  return (
    ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** The declaration whose code runs, for the name node {@link findBinding} answers: a function, class, enum or variable (with its initializer). */
function unitOf(ts: TypeScript, name: TS.Node): TS.Node | undefined {
  let node: TS.Node | undefined = name.parent;
  while (node && ts.isBindingElement(node)) node = node.parent.parent;
  if (!node) return undefined;
  if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node) || ts.isVariableDeclaration(node))
    return node;
  if (ts.isFunctionExpression(node) || ts.isClassExpression(node)) return node;
  return undefined;
}

function nameOf(ts: TypeScript, unit: TS.Node): string {
  const name = (unit as TS.NamedDeclaration).name;
  return name && ts.isIdentifier(name) ? name.text : 'anonymous';
}

function contains(outer: TS.Node, inner: TS.Node): boolean {
  return outer.getSourceFile() === inner.getSourceFile() && inner.pos >= outer.pos && inner.end <= outer.end;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function scriptKindOf(ts: TypeScript, fileName: string): TS.ScriptKind {
  if (/\.tsx$/.test(fileName)) return ts.ScriptKind.TSX;
  if (/\.jsx$/.test(fileName)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(fileName)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

const packageOrigins = new Map<string, string>();

/** `name@version` of the package `specifier` names, as installed where `fromFile` would find it. */
function packageOrigin(fromFile: string, specifier: string): string {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier);
  for (let directory = dirname(fromFile); ; directory = dirname(directory)) {
    const manifest = join(directory, 'node_modules', name, 'package.json');
    const known = packageOrigins.get(manifest);
    if (known) return known;
    if (existsSync(manifest)) {
      const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
      const origin = `${name}@${version ?? 'unknown'}`;
      packageOrigins.set(manifest, origin);
      return origin;
    }
    if (dirname(directory) === directory) return `${name}@unknown`;
  }
}
