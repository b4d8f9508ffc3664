import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { analyzeSourceFile } from './analyze.js';
import { generatedDeclarations } from './declarations.js';
import { tagDiagnostics } from './diagnostics.js';
import { createRewriter } from './rewrite.js';

/**
 * Recreates `program` so the checker and `.d.ts` output see the names the
 * rewrite generates: each module with tagged functions is served with
 * {@link generatedDeclarations} appended. The new program also reports bad
 * tags among its semantic diagnostics (so `tspc` fails, with or without
 * `--noEmit`) and rewrites tagged functions when it emits.
 */
export function transformProgram(ts: TypeScript, program: TS.Program, host: TS.CompilerHost | undefined): TS.Program {
  // A project without tags is left exactly as it was, at no cost.
  if (!program.getSourceFiles().some((sourceFile) => !sourceFile.isDeclarationFile && sourceFile.text.includes('@cachier'))) return program;
  // Binding sets the parent links the tag analysis walks.
  program.getTypeChecker();
  const extendedTexts = new Map<string, string>();
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile) continue;
    const declarations = generatedDeclarations(analyzeSourceFile(ts, sourceFile));
    if (declarations !== '') extendedTexts.set(sourceFile.fileName, sourceFile.text + declarations);
  }
  const options = program.getCompilerOptions();
  const baseHost = host ?? ts.createCompilerHost(options);
  const extendedHost: TS.CompilerHost = Object.create(baseHost);
  const extendedFile = (fileName: string, languageVersionOrOptions: TS.ScriptTarget | TS.CreateSourceFileOptions): TS.SourceFile | undefined => {
    const text = extendedTexts.get(fileName);
    if (text === undefined) return program.getSourceFile(fileName);
    const extended = ts.createSourceFile(fileName, text, languageVersionOrOptions, true);
    // Builders (watch mode, --incremental) tell changed files by version; the extension changes with its source only.
    return Object.assign(extended, { version: (program.getSourceFile(fileName) as { version?: string } | undefined)?.version });
  };
  extendedHost.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) =>
    extendedFile(fileName, languageVersionOrOptions) ?? baseHost.getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
  const getSourceFileByPath = baseHost.getSourceFileByPath?.bind(baseHost);
  if (getSourceFileByPath) {
    // Watch hosts read files by path, and the compiler then never calls getSourceFile.
    extendedHost.getSourceFileByPath = (fileName, path, languageVersionOrOptions, onError, shouldCreateNewSourceFile) =>
      extendedFile(fileName, languageVersionOrOptions) ?? getSourceFileByPath(fileName, path, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
  }
  const projectReferences = program.getProjectReferences();
  const extended = ts.createProgram({
    rootNames: program.getRootFileNames(),
    options,
    host: extendedHost,
    oldProgram: program,
    configFileParsingDiagnostics: program.getConfigFileParsingDiagnostics(),
    ...(projectReferences ? { projectReferences } : {}),
  });
  reportTagProblems(ts, extended);
  rewriteOnEmit(ts, extended);
  return extended;
}

function reportTagProblems(ts: TypeScript, program: TS.Program): void {
  const getSemanticDiagnostics = program.getSemanticDiagnostics;
  program.getSemanticDiagnostics = (sourceFile, cancellationToken) => {
    const diagnostics = getSemanticDiagnostics(sourceFile, cancellationToken);
    const files = sourceFile ? [sourceFile] : program.getSourceFiles();
    return [...diagnostics, ...files.flatMap((file) => tagDiagnostics(ts, file, program))];
  };
}

function rewriteOnEmit(ts: TypeScript, program: TS.Program): void {
  const emit = program.emit;
  program.emit = (targetSourceFile, writeFile, cancellationToken, emitOnlyDtsFiles, customTransformers) =>
    emit(targetSourceFile, writeFile, cancellationToken, emitOnlyDtsFiles, {
      ...customTransformers,
      before: [createRewriter(ts, program), ...(customTransformers?.before ?? [])],
    });
}
