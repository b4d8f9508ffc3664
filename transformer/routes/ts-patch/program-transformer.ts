import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type * as TS from 'typescript';
import {
  ModuleGraph,
  transformModule,
  type CachierDiagnostic,
  type TransformResult,
  modulePathOf,
  followSourceEdits,
  projectTransformStore,
  type TransformStore,
} from '../../engine/index.js';
import type { TypeScript } from './typescript-api.js';
import { CACHIER_DIAGNOSTIC_CODE } from './diagnostics.js';
import { canStandFor, emittedWithHashes, patchesFor, recordTree } from './hash-only-rewrites.js';

/** The project's stored rewrites (`null`: none), found at the first program with tags. */
let store: TransformStore | null | undefined;

/** Each module's last rewrite, and the trees (or texts, outside the program) of the files behind its source hashes. */
const lastRewrites = new Map<
  string,
  {
    readonly ts: TypeScript;
    readonly original: TS.SourceFile;
    readonly roots: string;
    readonly behind: ReadonlyMap<string, TS.SourceFile | string | undefined>;
    readonly result: TransformResult;
  }
>();

/**
 * A watch rebuild's rewrite of `original` when nothing behind it changed:
 * the same tree of the module and of every file its hashes read (a watch
 * host keeps the trees of unchanged files), and the same root files.
 */
function reusableRewrite(ts: TypeScript, program: TS.Program, original: TS.SourceFile, roots: string): TransformResult | undefined {
  const last = lastRewrites.get(original.fileName);
  if (!last || last.ts !== ts || last.original !== original || last.roots !== roots) return undefined;
  for (const [fileName, tree] of last.behind) {
    const now = program.getSourceFile(fileName) ?? ts.sys.readFile(fileName);
    if (now !== tree) return undefined;
  }
  return last.result;
}

/** The last program and module graph made by {@link transformProgram} for each project (config file and root files), for watch rebuilds. */
const lastPrograms = new Map<string, { readonly ts: TypeScript; readonly program: TS.Program; readonly graph: ModuleGraph }>();

/** The last rewritten tree of each module, for watch rebuilds. */
const rewrittenFiles = new Map<
  string,
  { readonly ts: TypeScript; readonly code: string; readonly settings: string; readonly sourceFile: TS.SourceFile }
>();

/**
 * Files only the rewritten modules reach (cachier's own declarations, which
 * they import), kept across watch rebuilds while their modification time
 * holds: a watch host forgets them each time it makes the program of the
 * user's text, which lacks them, so each rebuild would read and parse them again.
 */
const reachedByRewrites = new Map<
  string,
  { readonly ts: TypeScript; readonly settings: string; readonly modified: number; readonly sourceFile: TS.SourceFile }
>();

/**
 * Recreates `program` from the engine's rewritten text of every module with
 * tagged functions, so that what is checked, declared (`.d.ts`) and emitted
 * is the cached code: `fetchPrices.clearCache()` type-checks for every form
 * the rewrite turns into a `const`, and a `hash=` binding that does not fit
 * the function is a type error at its tag. Diagnostics and source maps are
 * mapped back to the user's text; bad tags are reported among the semantic
 * diagnostics (so `tspc` fails, with or without `--noEmit`).
 *
 * A module whose rewrite changes gets a new version, so watch mode and
 * `--incremental` builds emit it again, as a clean build would; in watch mode,
 * a module whose only change is its source hashes (an edited helper) keeps its
 * tree and gets the new hashes put into its emitted JavaScript (see
 * hash-only-rewrites.ts), so it is not checked and emitted again.
 */
export function transformProgram(ts: TypeScript, program: TS.Program, host: TS.CompilerHost | undefined): TS.Program {
  const tagged = program
    .getSourceFiles()
    .filter(
      (sourceFile) =>
        !sourceFile.isDeclarationFile && !program.isSourceFileFromExternalLibrary(sourceFile) && sourceFile.text.includes('@cachier'),
    );
  // A project without tags is left exactly as it was, at no cost.
  if (tagged.length === 0) return program;
  // The engine parses the program's texts with its own parser, as every other route does, so ids and source hashes are the same on all of them.
  store ??= projectTransformStore() ?? null;
  const options = program.getCompilerOptions();
  const roots = program.getRootFileNames().join('\u0000');
  const project = `${options.configFilePath ?? ''}\u0000${roots}`;
  const previous = lastPrograms.get(project);
  // A watch rebuild's graph is made from the last one: only what the edited files changed is walked again.
  const graph = new ModuleGraph(
    (fileName) => program.getSourceFile(fileName)?.text ?? ts.sys.readFile(fileName),
    store ?? undefined,
    previous?.graph,
  );
  const rewrites = new Map<string, { readonly original: TS.SourceFile; readonly result: TransformResult }>();
  const problems: { readonly original: TS.SourceFile; readonly diagnostic: CachierDiagnostic }[] = [];
  const owners = new Map<string, TS.SourceFile>();
  for (const original of tagged) {
    const result =
      reusableRewrite(ts, program, original, roots) ?? transformModule({ code: original.text, fileName: original.fileName, graph });
    if (lastRewrites.get(original.fileName)?.result !== result) {
      const behind = new Map(
        [...graph.filesBehindFile(original.fileName)].map((fileName) => [
          fileName,
          program.getSourceFile(fileName) ?? graph.text(fileName),
        ]),
      );
      lastRewrites.set(original.fileName, { ts, original, roots, behind, result });
    }
    if (result.changed) rewrites.set(original.fileName, { original, result });
    problems.push(...result.diagnostics.map((diagnostic) => ({ original, diagnostic })));
    for (const fn of result.functions) {
      const owner = owners.get(fn.id);
      if (owner && owner !== original) problems.push({ original, diagnostic: sharedIdProblem(original, fn.id, fn.line, owner) });
      owners.set(fn.id, owner ?? original);
    }
  }

  const baseHost = host ?? ts.createCompilerHost(options);
  const extendedHost: TS.CompilerHost = Object.create(baseHost);
  const rewrittenFile = (
    fileName: string,
    languageVersionOrOptions: TS.ScriptTarget | TS.CreateSourceFileOptions,
  ): TS.SourceFile | undefined => {
    const rewrite = rewrites.get(fileName);
    if (!rewrite) return program.getSourceFile(fileName);
    const settings = JSON.stringify(languageVersionOrOptions);
    const known = rewrittenFiles.get(fileName);
    // A watch rebuild gets the same tree (parsed and bound once) for a module whose rewrite did not change, or changed only its source hashes.
    if (
      known?.settings === settings &&
      known.ts === ts &&
      (known.code === rewrite.result.code || canStandFor(known.sourceFile, rewrite.result))
    )
      return known.sourceFile;
    const sourceFile = ts.createSourceFile(fileName, rewrite.result.code, languageVersionOrOptions, true);
    // Builders (watch mode, --incremental) tell changed files by version: the rewritten text's own.
    Object.assign(sourceFile, { version: createHash('sha256').update(rewrite.result.code).digest('hex') });
    rewrittenFiles.set(fileName, { ts, code: rewrite.result.code, settings, sourceFile });
    recordTree(sourceFile, rewrite.result);
    return sourceFile;
  };
  const reachedFile = (
    fileName: string,
    languageVersionOrOptions: TS.ScriptTarget | TS.CreateSourceFileOptions,
    shouldCreateNewSourceFile: boolean | undefined,
    read: () => TS.SourceFile | undefined,
  ): TS.SourceFile | undefined => {
    const settings = JSON.stringify(languageVersionOrOptions);
    const modified = ts.sys.getModifiedTime?.(fileName)?.getTime();
    const kept = reachedByRewrites.get(fileName);
    if (!shouldCreateNewSourceFile && kept?.ts === ts && kept.settings === settings && kept.modified === modified) return kept.sourceFile;
    const sourceFile = read();
    if (sourceFile && modified !== undefined) reachedByRewrites.set(fileName, { ts, settings, modified, sourceFile });
    return sourceFile;
  };
  extendedHost.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) =>
    rewrittenFile(fileName, languageVersionOrOptions) ??
    reachedFile(fileName, languageVersionOrOptions, shouldCreateNewSourceFile, () =>
      baseHost.getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile),
    );
  const getSourceFileByPath = baseHost.getSourceFileByPath?.bind(baseHost);
  if (getSourceFileByPath) {
    // Watch hosts read files by path, and the compiler then never calls getSourceFile.
    extendedHost.getSourceFileByPath = (fileName, path, languageVersionOrOptions, onError, shouldCreateNewSourceFile) =>
      rewrittenFile(fileName, languageVersionOrOptions) ??
      reachedFile(fileName, languageVersionOrOptions, shouldCreateNewSourceFile, () =>
        getSourceFileByPath(fileName, path, languageVersionOrOptions, onError, shouldCreateNewSourceFile),
      );
  }
  const projectReferences = program.getProjectReferences();
  const extended = ts.createProgram({
    rootNames: program.getRootFileNames(),
    options,
    host: extendedHost,
    // A watch rebuild starts from the last rewritten program, which holds the same rewritten trees: only the modules that changed are bound and resolved again.
    oldProgram: previous?.ts === ts ? previous.program : program,
    configFileParsingDiagnostics: program.getConfigFileParsingDiagnostics(),
    ...(projectReferences ? { projectReferences } : {}),
  });
  lastPrograms.set(project, { ts, program: extended, graph });
  const toUserText = diagnosticMapper(rewrites);
  mapDiagnostics(extended, toUserText);
  reportTagProblems(ts, extended, problems);
  mapSourceMapsOnEmit(extended, rewrites, baseHost);
  if (problems.length > 0) skipEmit(ts, extended, problems.length);
  return extended;
}

function sharedIdProblem(sourceFile: TS.SourceFile, id: string, line: number, owner: TS.SourceFile): CachierDiagnostic {
  const lineStart = sourceFile.getPositionOfLineAndCharacter(line - 1, 0);
  const column = sourceFile.text.indexOf('@cachier', lineStart) - lineStart;
  return {
    fileName: sourceFile.fileName,
    start: lineStart + column,
    length: '@cachier'.length,
    line,
    column: column + 1,
    message: `the cache id "${id}" is already used by a tagged function of ${modulePathOf(owner.fileName)}; give one of them its own id=...`,
  };
}

type Rewrites = ReadonlyMap<string, { readonly original: TS.SourceFile; readonly result: TransformResult }>;

/** Points a diagnostic in rewritten text at the user's text (generated code at its tag). */
function diagnosticMapper(rewrites: Rewrites): <D extends TS.Diagnostic | TS.DiagnosticRelatedInformation>(diagnostic: D) => D {
  const map = <D extends TS.Diagnostic | TS.DiagnosticRelatedInformation>(diagnostic: D): D => {
    const rewrite = diagnostic.file ? rewrites.get(diagnostic.file.fileName) : undefined;
    const related = (diagnostic as TS.Diagnostic).relatedInformation;
    const mapped = related ? { ...diagnostic, relatedInformation: related.map(map) } : diagnostic;
    if (!rewrite || diagnostic.start === undefined) return mapped;
    return { ...mapped, file: rewrite.original, start: rewrite.result.originalOffset(diagnostic.start) };
  };
  return map;
}

function mapDiagnostics(program: TS.Program, toUserText: ReturnType<typeof diagnosticMapper>): void {
  const { getSyntacticDiagnostics, getSemanticDiagnostics, getDeclarationDiagnostics } = program;
  program.getSyntacticDiagnostics = (sourceFile, cancellationToken) =>
    getSyntacticDiagnostics(sourceFile, cancellationToken).map(toUserText);
  program.getSemanticDiagnostics = (sourceFile, cancellationToken) => getSemanticDiagnostics(sourceFile, cancellationToken).map(toUserText);
  program.getDeclarationDiagnostics = (sourceFile, cancellationToken) =>
    getDeclarationDiagnostics(sourceFile, cancellationToken).map(toUserText);
}

function reportTagProblems(
  ts: TypeScript,
  program: TS.Program,
  problems: readonly { readonly original: TS.SourceFile; readonly diagnostic: CachierDiagnostic }[],
): void {
  const getSemanticDiagnostics = program.getSemanticDiagnostics;
  program.getSemanticDiagnostics = (sourceFile, cancellationToken) => {
    const diagnostics = getSemanticDiagnostics(sourceFile, cancellationToken);
    const own = problems.filter((problem) => !sourceFile || problem.original.fileName === sourceFile.fileName);
    return [
      ...diagnostics,
      ...own.map(({ original, diagnostic }) => ({
        file: original,
        start: diagnostic.start,
        length: diagnostic.length,
        messageText: `cachier: ${diagnostic.message}`,
        category: ts.DiagnosticCategory.Error,
        code: CACHIER_DIAGNOSTIC_CODE,
        source: 'cachier',
      })),
    ];
  };
}

/**
 * Emits nothing while a tag is bad, as `cachier-tsc` does: the compiler
 * would otherwise write the badly tagged function unwrapped, and it would
 * run uncached once anyone ignored the failed build.
 */
function skipEmit(ts: TypeScript, program: TS.Program, count: number): void {
  program.emit = () => ({
    emitSkipped: true,
    diagnostics: [
      {
        file: undefined,
        start: undefined,
        length: undefined,
        messageText: `cachier: ${count} problem${count === 1 ? '' : 's'} with @cachier tags: nothing was emitted, so no function runs uncached`,
        category: ts.DiagnosticCategory.Error,
        code: CACHIER_DIAGNOSTIC_CODE,
        source: 'cachier',
      },
    ],
  });
}

/**
 * Composes each emitted source map (to the rewritten text) with the rewrite's
 * own (to the user's text), gives each emitted module the source hashes of its
 * current rewrite, and, once the program has emitted, writes the source hashes
 * of the modules whose kept trees stand for newer rewrites (the builder does
 * not emit those) into their JavaScript.
 */
function mapSourceMapsOnEmit(program: TS.Program, rewrites: Rewrites, host: TS.CompilerHost): void {
  const emit = program.emit;
  let patched = false;
  program.emit = (targetSourceFile, writeFile, cancellationToken, emitOnlyDtsFiles, customTransformers) => {
    const write: TS.WriteFileCallback =
      writeFile ?? ((fileName, text, bom, onError, sourceFiles, data) => host.writeFile(fileName, text, bom, onError, sourceFiles, data));
    const mapped: TS.WriteFileCallback = (fileName, text, bom, onError, sourceFiles, data) => {
      // The compiler hands over the transformed tree: the program's own is the one kept between generations.
      const emitted = sourceFiles?.length === 1 ? sourceFiles[0] : undefined;
      const tree = emitted && program.getSourceFile(emitted.fileName);
      const rewrite = tree && JAVASCRIPT_FILE.test(fileName) ? rewrites.get(tree.fileName) : undefined;
      const output = fileName.endsWith('.map')
        ? composeSourceMap(fileName, text, rewrites)
        : tree && rewrite
          ? emittedWithHashes(fileName, text, tree, rewrite.result)
          : text;
      write(fileName, output, bom, onError, sourceFiles, data);
    };
    const result = emit(targetSourceFile, mapped, cancellationToken, emitOnlyDtsFiles, customTransformers);
    // After the first emit that wrote (not one a failed check or noEmit skipped), so no hash is newer than the code emitted beside it.
    if (!patched && !result.emitSkipped && !emitOnlyDtsFiles) {
      patched = true;
      for (const { path, text, tree } of patchesFor(program, rewrites))
        write(path, text, program.getCompilerOptions().emitBOM ?? false, undefined, [tree]);
    }
    return result;
  };
}

const JAVASCRIPT_FILE = /\.[cm]?js$/;

function composeSourceMap(mapFile: string, text: string, rewrites: Rewrites): string {
  const emitted = JSON.parse(text) as { sourceRoot?: string };
  const root = resolve(dirname(mapFile), emitted.sourceRoot ?? '');
  return followSourceEdits(text, (source) => {
    const rewrite = rewrites.get(resolve(root, source).replace(/\\/g, '/'));
    return (
      rewrite && {
        edited: rewrite.result.code,
        original: rewrite.original.text,
        sourceOffset: (offset) => rewrite.result.sourceOffset(offset),
      }
    );
  });
}
