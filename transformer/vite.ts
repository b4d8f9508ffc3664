/**
 * The Vite/Vitest plugin of cachier: applies the `@cachier` rewrite to
 * TypeScript modules before Vite compiles them, so projects that run through
 * Vite or Vitest (which ignore `compilerOptions.plugins`) get the same cached
 * functions as a `tspc` build. It parses with the `typescript` package.
 *
 * @example
 * ```ts
 * // vite.config.ts or vitest.config.ts
 * import cachier from 'cachier/vite';
 * export default defineConfig({ plugins: [cachier()] });
 * ```
 * @packageDocumentation
 */
import * as ts from 'typescript';
import { analyzeSourceFile } from './analyze.js';
import { createRewriter } from './rewrite.js';

/** The part of Vite's plugin interface this plugin fills in. */
export interface CachierVitePlugin {
  readonly name: 'cachier';
  /** Runs before Vite's own TypeScript compilation, which would drop the JSDoc tags. */
  readonly enforce: 'pre';
  transform(code: string, id: string): { code: string; map: string | undefined } | null;
}

const TYPESCRIPT_MODULE = /\.(?:[cm]?ts|tsx)$/;

/**
 * Creates the plugin.
 * @throws an `Error` from `transform` naming `file:line:column` for a bad tag, which Vite reports as a build error.
 */
export default function cachier(): CachierVitePlugin {
  return {
    name: 'cachier',
    enforce: 'pre',
    transform(code, id) {
      const fileName = id.split('?')[0] ?? id;
      if (!TYPESCRIPT_MODULE.test(fileName) || !code.includes('@cachier')) return null;
      if (!hasTaggedFunctions(code, fileName)) return null;
      const output = ts.transpileModule(code, {
        fileName,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ESNext,
          jsx: ts.JsxEmit.Preserve,
          sourceMap: true,
          inlineSources: true,
        },
        transformers: { before: [createRewriter(ts)] },
      });
      return { code: output.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ''), map: output.sourceMapText };
    },
  };
}

/** Whether the module has functions to rewrite; throws on bad tags (Vite reports the error with the module). */
function hasTaggedFunctions(code: string, fileName: string): boolean {
  const sourceFile = ts.createSourceFile(fileName, code, ts.ScriptTarget.ESNext, true);
  const { functions, problems } = analyzeSourceFile(ts, sourceFile);
  if (problems.length === 0) return functions.size > 0;
  const lines = problems.map((problem) => {
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(problem.start);
    return `${fileName}:${line + 1}:${character + 1}: cachier: ${problem.message}`;
  });
  throw new Error(lines.join('\n'));
}
