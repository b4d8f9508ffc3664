import type * as TS from 'typescript';
import { analyzeModuleText, modulePathOf, TagProblem } from '../../engine/index.js';
import type { TypeScript } from './typescript-api.js';

/** The code of every diagnostic cachier reports (shown by `tsc` as `TS94001`). */
export const CACHIER_DIAGNOSTIC_CODE = 94001;

/**
 * The bad tags of one source file as TypeScript errors, with file, position
 * and a message that names the fix. Given the `program`, they include ids the
 * file shares with tagged functions of modules before it.
 */
export function tagDiagnostics(ts: TypeScript, sourceFile: TS.SourceFile, program?: TS.Program): TS.Diagnostic[] {
  if (sourceFile.isDeclarationFile) return [];
  const problems = [
    ...analyzeModuleText(sourceFile.fileName, sourceFile.text).problems,
    ...(program ? (idsTakenElsewhere(program).get(sourceFile) ?? []) : []),
  ];
  return problems.map((problem) => ({
    file: sourceFile,
    start: problem.start,
    length: problem.length,
    messageText: `cachier: ${problem.message}`,
    category: ts.DiagnosticCategory.Error,
    code: CACHIER_DIAGNOSTIC_CODE,
    source: 'cachier',
  }));
}

const sharedIds = new WeakMap<TS.Program, ReadonlyMap<TS.SourceFile, readonly TagProblem[]>>();

/** Per module, its tagged functions whose id an earlier module of the program already uses (same-module repeats are the analysis's). */
function idsTakenElsewhere(program: TS.Program): ReadonlyMap<TS.SourceFile, readonly TagProblem[]> {
  const known = sharedIds.get(program);
  if (known) return known;
  const owners = new Map<string, TS.SourceFile>();
  const problems = new Map<TS.SourceFile, TagProblem[]>();
  for (const sourceFile of program.getSourceFiles()) {
    if (sourceFile.isDeclarationFile || program.isSourceFileFromExternalLibrary(sourceFile)) continue;
    for (const tagged of analyzeModuleText(sourceFile.fileName, sourceFile.text).functions.values()) {
      const owner = owners.get(tagged.id);
      if (!owner) owners.set(tagged.id, sourceFile);
      if (!owner || owner === sourceFile) continue;
      const problem = new TagProblem(
        tagged.tagStart,
        '@cachier'.length,
        `the cache id "${tagged.id}" is already used by a tagged function of ${modulePathOf(owner.fileName)}; give one of them its own id=...`,
      );
      problems.set(sourceFile, [...(problems.get(sourceFile) ?? []), problem]);
    }
  }
  sharedIds.set(program, problems);
  return problems;
}
