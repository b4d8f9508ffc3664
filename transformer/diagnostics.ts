import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { analyzeSourceFile } from './analyze.js';

/** The code of every diagnostic cachier reports (shown by `tsc` as `TS94001`). */
export const CACHIER_DIAGNOSTIC_CODE = 94001;

/** The bad tags of one source file as TypeScript errors, with file, position and a message that names the fix. */
export function tagDiagnostics(ts: TypeScript, sourceFile: TS.SourceFile): TS.Diagnostic[] {
  if (sourceFile.isDeclarationFile) return [];
  return analyzeSourceFile(ts, sourceFile).problems.map((problem) => ({
    file: sourceFile,
    start: problem.start,
    length: problem.length,
    messageText: `cachier: ${problem.message}`,
    category: ts.DiagnosticCategory.Error,
    code: CACHIER_DIAGNOSTIC_CODE,
    source: 'cachier',
  }));
}
