import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type { ExportAllDeclaration, ExportNamedDeclaration } from 'oxc-parser';
import { defaultIdOf, modulePathOf } from './module-path.js';
import { findAncestor, forEachChild, moduleOf, parseModule, textOf, type ParsedModule, type SyntaxNode } from './parser.js';
import { findBinding } from './scope.js';
import { sourceHashOf } from './source-hash.js';
import { textHash, type ProbeKind, type Stamp, type StoredTransform, type TransformStore } from './transform-store.js';

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

/** Each declaration's own source hash: a parsed tree never changes, so these hold across graphs (watch rebuilds). */
const unitHashes = new WeakMap<SyntaxNode, string>();
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
 *
 * A graph is one build's view of the disk. The next build of a watch (or a
 * dev server after a file change) makes a new graph from the last one, which
 * takes over the work that still holds: each declaration's dependencies and
 * each function's hash are kept while the files they were found from have the
 * same text, and only while every import still resolves where it did.
 */
export class ModuleGraph {
  /** The texts tools handed over ({@link useText}), which stand for the files' texts on disk in this graph. */
  private readonly handedTexts = new Map<string, string>();
  /** Each file's text as the reader gave it (`undefined`: none), read once per graph. */
  private readonly diskTexts = new Map<string, string | undefined>();
  /**
   * Each unit's direct dependencies, in the order its code names them: walked
   * once, however many tagged functions reach it, and again in a later graph
   * only when a file the walk read has changed.
   */
  private readonly directDependencies: WeakMap<SyntaxNode, DirectDependencies>;
  /** While a unit's direct dependencies are found: the files read (with the text read), and every path read or tried (its module's), on the way. */
  private consulted: { readonly files: Map<string, string | undefined>; readonly probes: Map<string, ProbeKind> } | undefined;
  /** By module file: the files behind its tagged functions' source hashes (what they reached, and the files read on the way). */
  private readonly behindModule = new Map<string, Set<string>>();
  /**
   * By module file: every path the walks of its units read or tried. A tagged
   * function depends on those of the modules behind it (a superset of what
   * its own walk tried, which only costs a needless rehash); gathered per
   * module so hashing does not copy them for every unit it visits.
   */
  private readonly probesOfModule: Map<string, Map<string, ProbeKind>>;
  /** By module file: the stamps of a stored answer it reused. */
  private readonly adoptedStamps = new Map<string, readonly Stamp[]>();
  /** Each path's {@link stampOf}, found once per graph. */
  private readonly stamps = new Map<string, string>();
  /** Whether each stamp a stored entry holds is still true: stamps read from one table are the same objects for every entry that uses them. */
  private readonly checkedStamps = new WeakMap<Stamp, boolean>();
  /** Where an import leads, by importing folder and specifier. */
  private readonly resolutions: Map<string, Resolution>;
  /** What each reached declaration adds to a source hash, by the name it was reached under (a tree's nodes never change, so this outlives graphs). */
  private readonly contributions: WeakMap<SyntaxNode, Map<string, string>>;
  /** A module's facts are asked for more than once (the tag check, the `tsc` route's rewrite of the emitted JavaScript): each hash is computed once. */
  private readonly dependencyHashes: WeakMap<SyntaxNode, DependencyHash>;
  /** The entries made by this graph, and those taken over from the last one that it found still true. */
  private readonly confirmed = new WeakSet<FoundFrom>();
  /** The modules whose tagged functions this graph hashed. */
  private readonly hashed = new Set<string>();
  /** The modules whose tagged functions the earlier graphs this one took work over from hashed. */
  private readonly hashedBefore: ReadonlySet<string>;

  /**
   * @param readText - reads a module's text; each file is read once per graph.
   * @param store - rewrites kept between builds, which {@link transformModule} reuses while their stamps hold; none by default.
   * @param previous - the graph of the same project's last build (a watch
   *   generation): its resolutions are tried again now, and when each leads
   *   where it did, its dependencies and hashes are taken over, each used only
   *   while the files it was found from read the same.
   */
  constructor(
    private readonly readText: ReadText = readFromDisk,
    readonly store?: TransformStore,
    previous?: ModuleGraph,
  ) {
    const resolutions = previous?.resolutionsAgain();
    const kept = resolutions ? previous : undefined;
    this.resolutions = resolutions ?? new Map();
    this.directDependencies = kept?.directDependencies ?? new WeakMap();
    this.dependencyHashes = kept?.dependencyHashes ?? new WeakMap();
    this.probesOfModule = new Map(kept?.probesOfModule);
    this.contributions = previous?.contributions ?? new WeakMap();
    this.hashedBefore = new Set(kept ? [...kept.hashedBefore, ...kept.hashed] : []);
  }

  /**
   * Whether an earlier build this graph was made from hashed the tagged
   * functions of `fileName`. Its stored rewrite is then not worth reading: that
   * build wrote it, for the texts of then, and hashing again reuses whatever
   * of that build's work still holds.
   */
  hashedInEarlierBuild(fileName: string): boolean {
    return this.hashedBefore.has(fileName);
  }

  /**
   * Every resolution of this graph made again, now; `undefined` when one
   * leads elsewhere (a module added or removed, a package upgraded), since
   * the dependencies found through it would then be wrong.
   */
  private resolutionsAgain(): Map<string, Resolution> | undefined {
    const again = new Map<string, Resolution>();
    for (const [key, before] of this.resolutions) {
      const now = resolutionOf(before.directory, before.specifier);
      if (targetOf(now) !== targetOf(before)) return undefined;
      again.set(key, now);
    }
    return again;
  }

  /** Whether `entry` holds in this graph: made by it, or found from files that read the same now. */
  private stillTrue(entry: FoundFrom): boolean {
    if (this.confirmed.has(entry)) return true;
    for (const [file, text] of entry.files) if (this.text(file) !== text) return false;
    this.confirmed.add(entry);
    return true;
  }

  /** Takes `text` as the module at `fileName` for this graph (the text a tool handed over), without parsing it. */
  useText(fileName: string, text: string): void {
    this.handedTexts.set(fileName, text);
  }

  /** The text of the module at `fileName` (unparsed), or `undefined` when it cannot be read. Each file is read once per graph. */
  text(fileName: string): string | undefined {
    const text = this.handedTexts.has(fileName) ? this.handedTexts.get(fileName) : this.textOnDisk(fileName);
    if (this.consulted) {
      this.consulted.files.set(fileName, text);
      this.consulted.probes.set(fileName, 'text');
    }
    return text;
  }

  /**
   * The text of `fileName` as the graph's reader gives it (the disk), even
   * where a tool handed over another text (code an earlier plugin changed):
   * read once per graph, and what {@link text} answers for a file no tool handed over.
   */
  textOnDisk(fileName: string): string | undefined {
    if (!this.diskTexts.has(fileName)) this.diskTexts.set(fileName, this.readText(fileName));
    return this.diskTexts.get(fileName);
  }

  /** The parsed module at `fileName`, or `undefined` when it cannot be read. Each file is read once per graph. */
  module(fileName: string, text?: string): ParsedModule | undefined {
    if (text !== undefined) this.useText(fileName, text);
    const current = this.text(fileName);
    return current === undefined ? undefined : parseModule(fileName, current);
  }

  /**
   * `ownHash` extended with the source hash of every declaration of the
   * project that `fn` reaches (transitively; a visited set ends cycles) and the
   * versions of the packages it imports. Answers `ownHash` unchanged when `fn`
   * depends on nothing.
   */
  dependencyHash(fn: SyntaxNode, ownHash: string): string {
    let known = this.dependencyHashes.get(fn);
    if (known?.ownHash !== ownHash || !this.stillTrue(known)) {
      known = this.computeDependencyHash(fn, ownHash);
      this.dependencyHashes.set(fn, known);
      this.confirmed.add(known);
    }
    const fileName = moduleOf(fn).fileName;
    this.hashed.add(fileName);
    const behind = this.behindOf(fileName);
    for (const file of known.files.keys()) behind.add(file);
    return known.hash;
  }

  private behindOf(fileName: string): Set<string> {
    let behind = this.behindModule.get(fileName);
    if (!behind) {
      behind = new Set([fileName]);
      this.behindModule.set(fileName, behind);
    }
    return behind;
  }

  /**
   * What each path the source hashes of `fileName`'s tagged functions (asked
   * through {@link dependencyHash}) depend on is now: the stamps a stored
   * rewrite of the module is checked against in a later build.
   */
  stampsBehind(fileName: string): Stamp[] {
    const probes = new Map<string, ProbeKind>();
    for (const file of this.filesBehindFile(fileName)) {
      probes.set(file, 'text');
      for (const [path, kind] of this.probesOfModule.get(file) ?? []) probes.set(path, kind);
      for (const [path, kind] of this.adoptedStamps.get(file) ?? []) probes.set(path, kind);
    }
    return this.stampsOf(probes);
  }

  /** What each of `probes` is now, as stamps. */
  stampsOf(probes: Iterable<readonly [string, ProbeKind]>): Stamp[] {
    return [...probes].map(([path, kind]) => [path, kind, this.stampOf(path, kind)] as const);
  }

  /**
   * The entry the graph's store holds under `key` when it was made from the
   * same `source` (and `input`) texts and every stamp still holds; none
   * without a store.
   */
  reuseEntry(key: string, source: string, input: string = source): StoredTransform | undefined {
    const entry = this.store?.read(key);
    if (!entry || entry.source !== textHash(source) || entry.input !== textHash(input)) return undefined;
    return this.stampsHold(entry.stamps) ? entry : undefined;
  }

  /** Stores `result` under `key`, made from `source` (and `input`) and valid while `stamps` hold. */
  saveEntry(
    key: string,
    texts: { readonly source: string; readonly input?: string },
    stamps: readonly Stamp[],
    result: unknown,
    behind: readonly string[] = [],
  ): void {
    this.store?.write(key, { source: textHash(texts.source), input: textHash(texts.input ?? texts.source), stamps, behind, result });
  }

  /** Whether every stamp still holds in this graph's view of the disk. */
  stampsHold(stamps: readonly Stamp[]): boolean {
    for (const stamp of stamps) {
      let holds = this.checkedStamps.get(stamp);
      if (holds === undefined) {
        holds = this.stampOf(stamp[0], stamp[1]) === stamp[2];
        this.checkedStamps.set(stamp, holds);
      }
      if (!holds) return false;
    }
    return true;
  }

  /** Records what a stored rewrite of `fileName` was made from, as if its source hashes had been computed in this graph. */
  adoptBehind(fileName: string, files: readonly string[], stamps: readonly Stamp[]): void {
    const behind = this.behindOf(fileName);
    for (const file of files) behind.add(file);
    this.adoptedStamps.set(fileName, stamps);
  }

  /** A path as a stamp records it: a text by its hash and the id prefix it gives its functions, a file by its existence, a manifest by its hash. */
  private stampOf(path: string, kind: ProbeKind): string {
    const key = `${kind}\u0000${path}`;
    let stamp = this.stamps.get(key);
    if (stamp === undefined) {
      if (kind === 'exists') {
        stamp = isFile(path) ? 'file' : '-';
      } else if (kind === 'listing') {
        stamp = listingOf(path);
      } else {
        const text = kind === 'text' ? this.text(path) : readFromDisk(path);
        stamp = text === undefined ? '-' : kind === 'text' ? `${textHash(text)} ${defaultIdOf(path, '')}` : textHash(text);
      }
      this.stamps.set(key, stamp);
    }
    return stamp;
  }

  /**
   * The files whose text went into the source hashes of `module`'s tagged
   * functions (asked through {@link dependencyHash}): the module, the modules
   * of what they reach, and the modules imports and re-exports led through. A
   * watch build whose files are all unchanged can reuse the module's rewrite.
   */
  filesBehind(module: ParsedModule): ReadonlySet<string> {
    return this.filesBehindFile(module.fileName);
  }

  /** {@link filesBehind} of the module at `fileName`, as this graph read it. */
  filesBehindFile(fileName: string): ReadonlySet<string> {
    return this.behindModule.get(fileName) ?? new Set([fileName]);
  }

  private computeDependencyHash(fn: SyntaxNode, ownHash: string): DependencyHash {
    const files = new Map<string, string | undefined>();
    const contributions = new Set<string>();
    const visited = new Set<SyntaxNode>([fn]);
    const pending: SyntaxNode[] = [fn];
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
      const fileName = moduleOf(unit).fileName;
      files.set(fileName, this.text(fileName));
      for (const [file, text] of direct.files) files.set(file, text);
      for (const dependency of direct.dependencies) add(dependency);
    }
    if (contributions.size === 0) return { ownHash, hash: ownHash, files };
    // One update of the joined text: the same bytes, so the same digest, as an update per contribution.
    const digest = createHash('sha256').update(`${ownHash}\u0000${[...contributions].sort().join('\u0000')}`);
    return { ownHash, hash: digest.digest('base64url').slice(0, 16), files };
  }

  private directDependenciesOf(unit: SyntaxNode): DirectDependencies {
    let direct = this.directDependencies.get(unit);
    if (!direct || !this.stillTrue(direct)) {
      const dependencies: Dependency[] = [];
      const fileName = moduleOf(unit).fileName;
      let probes = this.probesOfModule.get(fileName);
      if (!probes) {
        probes = new Map();
        this.probesOfModule.set(fileName, probes);
      }
      const files = new Map<string, string | undefined>();
      this.consulted = { probes, files };
      try {
        forEachValueReference(unit, (reference) => {
          dependencies.push(...this.dependenciesOf(reference, unit));
        });
      } finally {
        this.consulted = undefined;
      }
      direct = { dependencies, files };
      this.directDependencies.set(unit, direct);
      this.confirmed.add(direct);
    }
    return direct;
  }

  /** `src/m.ts#name:hash`, what a reached declaration adds to a source hash; made once per graph, however many tagged functions reach it. */
  private contributionOf(unit: SyntaxNode, name: string): string {
    let byName = this.contributions.get(unit);
    if (!byName) {
      byName = new Map();
      this.contributions.set(unit, byName);
    }
    let contribution = byName.get(name);
    if (contribution === undefined) {
      contribution = `${modulePathOf(moduleOf(unit).fileName)}#${name}:${hashOf(unit)}`;
      byName.set(name, contribution);
    }
    return contribution;
  }

  private dependenciesOf(reference: Reference, walked: SyntaxNode): Dependency[] {
    if (reference.kind === 'member') {
      const owner = findAncestor(reference.at, (ancestor) => ancestor.type === 'ClassDeclaration' || ancestor.type === 'ClassExpression');
      if (owner?.type !== 'ClassDeclaration' && owner?.type !== 'ClassExpression') return [];
      const className = owner.id?.name ?? 'anonymous';
      return owner.body.body
        .filter((member) => memberName(member) === reference.name)
        .map((member) => ({ kind: 'declaration', unit: member, name: `${className}.${reference.name}` }));
    }
    const declaration = findBinding(reference.identifier, reference.name);
    if (!declaration || contains(walked, declaration)) return [];
    if (reference.member !== undefined && declaration.type === 'ImportNamespaceSpecifier') {
      const target = this.importedModule(declaration);
      return target ? this.exported(target, reference.member, 0) : [];
    }
    return this.bindingDependencies(declaration, 0);
  }

  /** What a binding's declaration (a node from {@link findBinding}) contributes. */
  private bindingDependencies(declaration: SyntaxNode, depth: number): Dependency[] {
    if (
      declaration.type === 'ImportSpecifier' ||
      declaration.type === 'ImportDefaultSpecifier' ||
      declaration.type === 'ImportNamespaceSpecifier'
    ) {
      const target = this.importedModule(declaration);
      if (!target) return [];
      if (target.kind === 'package') return [target];
      if (declaration.type === 'ImportNamespaceSpecifier') return [{ kind: 'declaration', unit: target.module.program, name: '*' }];
      const name = declaration.type === 'ImportDefaultSpecifier' ? 'default' : exportName(declaration.imported);
      return this.exported(target, name, depth);
    }
    const unit = unitOf(declaration);
    return unit ? [{ kind: 'declaration', unit, name: nameOf(unit) }] : [];
  }

  private importedModule(declaration: SyntaxNode): Target | undefined {
    const statement = declaration.parent;
    if (statement?.type !== 'ImportDeclaration') return undefined;
    return this.resolve(moduleOf(statement).fileName, statement.source.value);
  }

  /** Where `specifier`, imported by `fromFile`, leads: a module of the project or a package. */
  private resolve(fromFile: string, specifier: string): Target | undefined {
    const directory = dirname(fromFile);
    const key = `${directory}\u0000${specifier}`;
    let resolution = this.resolutions.get(key);
    if (!resolution) {
      resolution = resolutionOf(directory, specifier);
      this.resolutions.set(key, resolution);
    }
    // The resolution is found once per graph, but every unit that uses it depends on what it tried.
    if (this.consulted) for (const [path, kind] of resolution.probes) this.consulted.probes.set(path, kind);
    if (resolution.kind === 'package') return { kind: 'package', origin: resolution.origin };
    const module = resolution.fileName === undefined ? undefined : this.module(resolution.fileName);
    return module ? { kind: 'module', module } : undefined;
  }

  /** The declarations a module exports under `name`, following re-exports. */
  private exported(target: Target, name: string, depth: number): Dependency[] {
    if (target.kind === 'package') return [target];
    if (depth > 16) return [];
    for (const statement of target.module.program.body) {
      if (statement.type === 'ExportDefaultDeclaration') {
        if (name === 'default' && !statement.declaration.type.startsWith('TS'))
          return [{ kind: 'declaration', unit: statement.declaration, name: 'default' }];
        continue;
      }
      if (statement.type === 'ExportAllDeclaration' || (statement.type === 'ExportNamedDeclaration' && !statement.declaration)) {
        if (statement.exportKind === 'type') continue;
        const found = this.reexported(statement, name, depth);
        if (found) return found;
        continue;
      }
      if (statement.type !== 'ExportNamedDeclaration' || !statement.declaration) continue;
      const declaration = statement.declaration;
      if (declaration.type === 'VariableDeclaration') {
        const declarator = declaration.declarations.find((candidate) => candidate.id.type === 'Identifier' && candidate.id.name === name);
        if (declarator) return [{ kind: 'declaration', unit: declarator, name }];
      } else if (
        (declaration.type === 'FunctionDeclaration' ||
          declaration.type === 'ClassDeclaration' ||
          declaration.type === 'TSEnumDeclaration') &&
        declaration.id?.name === name
      ) {
        return [{ kind: 'declaration', unit: declaration, name }];
      }
    }
    return [];
  }

  private reexported(statement: ExportNamedDeclaration | ExportAllDeclaration, name: string, depth: number): Dependency[] | undefined {
    const from = statement.source?.value;
    const fileName = moduleOf(statement).fileName;
    if (statement.type === 'ExportAllDeclaration') {
      if (!statement.exported) {
        // `export * from './m'` re-exports everything but the default.
        if (name === 'default') return undefined;
        const target = this.resolve(fileName, statement.source.value);
        const found = target ? this.exported(target, name, depth + 1) : [];
        return found.length > 0 ? found : undefined;
      }
      if (exportName(statement.exported) !== name) return undefined;
      const target = this.resolve(fileName, statement.source.value);
      if (!target) return [];
      return target.kind === 'package' ? [target] : [{ kind: 'declaration', unit: target.module.program, name: '*' }];
    }
    const element = statement.specifiers.find((candidate) => candidate.exportKind !== 'type' && exportName(candidate.exported) === name);
    if (!element) return undefined;
    const local = exportName(element.local);
    if (from !== undefined) {
      const target = this.resolve(fileName, from);
      return target ? this.exported(target, local, depth + 1) : [];
    }
    const declaration = findBinding(statement, local);
    return declaration ? this.bindingDependencies(declaration, depth + 1) : [];
  }
}

function hashOf(unit: SyntaxNode): string {
  let hash = unitHashes.get(unit);
  if (hash === undefined) {
    hash = sourceHashOf(unit);
    unitHashes.set(unit, hash);
  }
  return hash;
}

/** The name an import or export specifier gives: `a` or, for `"a-b"`, the string's value. */
function exportName(name: SyntaxNode): string {
  if (name.type === 'Literal') return String(name.value);
  return name.type === 'Identifier' ? name.name : textOf(name);
}

/** A class member's name as `this.name` would reach it (`#name` for a private one); none for constructors, computed keys and blocks. */
function memberName(member: SyntaxNode): string | undefined {
  if (
    member.type !== 'MethodDefinition' &&
    member.type !== 'PropertyDefinition' &&
    member.type !== 'AccessorProperty' &&
    member.type !== 'TSAbstractMethodDefinition' &&
    member.type !== 'TSAbstractPropertyDefinition'
  )
    return undefined;
  if (member.computed || (member.type === 'MethodDefinition' && member.kind === 'constructor')) return undefined;
  if (member.key.type === 'PrivateIdentifier') return `#${member.key.name}`;
  if (member.key.type === 'Identifier') return member.key.name;
  return textOf(member.key);
}

type Target = { readonly kind: 'module'; readonly module: ParsedModule } | PackageDependency;
interface PackageDependency {
  readonly kind: 'package';
  /** `name@version` */
  readonly origin: string;
}
/** Something found by reading files: the files read, each with the text it had (`undefined`: none). */
interface FoundFrom {
  readonly files: ReadonlyMap<string, string | undefined>;
}
/** A unit's dependencies in the order its code names them, and the modules read to find them. */
interface DirectDependencies extends FoundFrom {
  readonly dependencies: readonly Dependency[];
}
/** A function's source hash extended with its dependencies', and every file read to find them. */
interface DependencyHash extends FoundFrom {
  readonly ownHash: string;
  readonly hash: string;
}

/**
 * Where an import (`specifier`, from a module in `directory`) leads before its
 * module is read: a project file (none when it names none, or a built-in), or
 * a package; and the paths tried.
 */
type Resolution = ({ readonly kind: 'file'; readonly fileName: string | undefined } | PackageDependency) & {
  readonly directory: string;
  readonly specifier: string;
  readonly probes: ReadonlyMap<string, ProbeKind>;
};

function resolutionOf(directory: string, specifier: string): Resolution {
  const probes = new Map<string, ProbeKind>();
  if (specifier.startsWith('.') || specifier.startsWith('/'))
    return { kind: 'file', fileName: sourceFileFor(resolvePath(directory, specifier), probes), directory, specifier, probes };
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return { kind: 'file', fileName: undefined, directory, specifier, probes };
  const found = packageOrigin(directory, specifier);
  return { kind: 'package', origin: found.origin, directory, specifier, probes: found.probes };
}

/** What a resolution leads to, as one string: two resolutions with the same target find the same declarations. */
function targetOf(resolution: Resolution): string {
  return resolution.kind === 'file' ? `file:${resolution.fileName ?? ''}` : `package:${resolution.origin}`;
}
type Dependency = { readonly kind: 'declaration'; readonly unit: SyntaxNode; readonly name: string } | PackageDependency;

/** A name the walked code uses as a value: a binding, a member of `this`, or a member of a namespace import. */
type Reference =
  | { readonly kind: 'binding'; readonly identifier: SyntaxNode; readonly name: string; readonly member?: string }
  | { readonly kind: 'member'; readonly at: SyntaxNode; readonly name: string };

/** Fields that hold types, which do not run. */
const TYPE_FIELDS = ['typeAnnotation', 'returnType', 'typeParameters', 'typeArguments', 'superTypeArguments', 'implements'] as const;
/** Nodes that declare types only, or only import and export. */
const SKIPPED = new Set([
  'TSInterfaceDeclaration',
  'TSTypeAliasDeclaration',
  'TSDeclareFunction',
  'ImportDeclaration',
  'ExportAllDeclaration',
  'MetaProperty',
]);

/** Calls `visit` for every value reference under `node`; types, which do not run, are skipped. */
function forEachValueReference(node: SyntaxNode, visit: (reference: Reference) => void): void {
  const walk = (current: SyntaxNode): void => {
    if (SKIPPED.has(current.type) || (current.type === 'ExportNamedDeclaration' && !current.declaration)) return;
    switch (current.type) {
      case 'MemberExpression':
        if (!current.computed) {
          const member = current.property.type === 'PrivateIdentifier' ? `#${current.property.name}` : current.property.name;
          if (current.object.type === 'ThisExpression') {
            visit({ kind: 'member', at: current, name: member });
            return;
          }
          if (current.object.type === 'Identifier') {
            visit({ kind: 'binding', identifier: current.object, name: current.object.name, member });
            return;
          }
          walk(current.object);
          return;
        }
        break;
      case 'JSXMemberExpression':
        if (current.object.type === 'JSXIdentifier')
          visit({ kind: 'binding', identifier: current.object, name: current.object.name, member: current.property.name });
        else walk(current.object);
        return;
      case 'JSXOpeningElement':
      case 'JSXClosingElement':
        if (current.name.type === 'JSXIdentifier') visit({ kind: 'binding', identifier: current.name, name: current.name.name });
        else walk(current.name);
        if (current.type === 'JSXOpeningElement') for (const attribute of current.attributes) walk(attribute);
        return;
      case 'JSXAttribute':
        if (current.value) walk(current.value);
        return;
      case 'Identifier':
        visit({ kind: 'binding', identifier: current, name: current.name });
        return;
      case 'Property':
      case 'PropertyDefinition':
      case 'MethodDefinition':
      case 'AccessorProperty':
        // A key names a property, not a binding, unless it is computed; a shorthand property's value is the binding.
        if (current.computed) walk(current.key);
        if (current.type !== 'Property') for (const decorator of current.decorators) walk(decorator);
        if (current.value) walk(current.value);
        return;
      case 'TSEnumMember':
        if (current.initializer) walk(current.initializer);
        return;
      case 'LabeledStatement':
        walk(current.body);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
        return;
      default:
        if (current.type.startsWith('TS') && current.type.endsWith('Keyword')) return;
    }
    const fields = current as unknown as Record<string, unknown>;
    forEachChild(current, (child) => {
      for (const field of TYPE_FIELDS) if (fields[field] === child) return;
      walk(child);
    });
  };
  walk(node);
}

/** The declaration whose code runs, for the node {@link findBinding} answers: a function, class, enum or variable (with its initializer). */
function unitOf(name: SyntaxNode): SyntaxNode | undefined {
  let node: SyntaxNode | undefined = name.parent ?? undefined;
  while (
    node &&
    (node.type === 'ObjectPattern' ||
      node.type === 'ArrayPattern' ||
      node.type === 'AssignmentPattern' ||
      node.type === 'RestElement' ||
      (node.type === 'Property' && node.parent?.type === 'ObjectPattern'))
  ) {
    node = node.parent ?? undefined;
  }
  if (!node) return undefined;
  switch (node.type) {
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
    case 'TSEnumDeclaration':
    case 'VariableDeclarator':
    case 'FunctionExpression':
    case 'ClassExpression':
      return node;
    default:
      return undefined;
  }
}

function nameOf(unit: SyntaxNode): string {
  const id = 'id' in unit ? (unit.id as SyntaxNode | null | undefined) : undefined;
  return id?.type === 'Identifier' ? id.name : 'anonymous';
}

function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  return inner.start >= outer.start && inner.end <= outer.end && moduleOf(outer) === moduleOf(inner);
}

/** The source file a relative specifier's path names, by TypeScript's rules then JavaScript's; every candidate tried goes into `probes`. */
function sourceFileFor(path: string, probes: Map<string, ProbeKind>): string | undefined {
  const extension = /\.[cm]?jsx?$/.exec(path)?.[0] ?? '';
  const base = extension === '' ? path : path.slice(0, -extension.length);
  const candidates = /\.[cm]?tsx?$/.test(path) ? [path] : (SOURCE_EXTENSIONS[extension] ?? []).map((candidate) => base + candidate);
  for (const candidate of candidates) {
    probes.set(candidate, 'exists');
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

/** The names in a folder (folders marked with a slash), as a hash; `-` when it cannot be read. */
function listingOf(folder: string): string {
  try {
    const names = readdirSync(folder, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name));
    return textHash(names.sort().join('\u0000'));
  } catch {
    return '-';
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * `name@version` of the package `specifier` names, as installed where a
 * module in `fromDirectory` would find it, and the manifests looked for (a
 * closer install would change it). Read again by each graph (a dev server
 * sees an upgrade).
 */
function packageOrigin(fromDirectory: string, specifier: string): { origin: string; probes: Map<string, ProbeKind> } {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier);
  const probes = new Map<string, ProbeKind>();
  for (let directory = fromDirectory; ; directory = dirname(directory)) {
    const manifest = join(directory, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) {
      probes.set(manifest, 'manifest');
      const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
      return { origin: `${name}@${version ?? 'unknown'}`, probes };
    }
    probes.set(manifest, 'exists');
    if (dirname(directory) === directory) return { origin: `${name}@unknown`, probes };
  }
}
