/**
 * The ts-patch plugin of cachier. List it in `tsconfig.json` and build with `tspc`:
 *
 * ```json
 * { "compilerOptions": { "plugins": [{ "transform": "cachier/transformer", "transformProgram": true }] } }
 * ```
 *
 * With `"transformProgram": true` the checker and `.d.ts` output also see the
 * generated names (`fetchPrices.clearCache()`, the module's `clearCache()`);
 * without it, the entry works as a plain source transformer: the emitted
 * JavaScript is the same and bad tags still fail the build.
 * @packageDocumentation
 */
import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { tagDiagnostics } from './diagnostics.js';
import { transformProgram } from './program-transformer.js';
import { createRewriter } from './rewrite.js';

export { CACHIER_DIAGNOSTIC_CODE } from './diagnostics.js';

/** The tsconfig plugin entry, as ts-patch hands it over. */
export interface PluginConfig {
  /** The module ts-patch loaded: `cachier/transformer`. */
  readonly transform?: string;
  /** `true` to make the generated names visible to the checker and in `.d.ts` output. */
  readonly transformProgram?: boolean;
  readonly [option: string]: unknown;
}

/** What ts-patch passes a source transformer besides the program. */
export interface SourceTransformerExtras {
  /** The TypeScript instance running the build; cachier uses no other. */
  readonly ts: TypeScript;
  /** Reports a diagnostic with the build's own. */
  addDiagnostic(diagnostic: TS.Diagnostic): number;
}

/** What ts-patch passes a program transformer besides the program and host. */
export interface ProgramTransformerExtras {
  readonly ts: TypeScript;
}

/**
 * The plugin entry ts-patch loads. Called as a program transformer
 * (`transformProgram: true`) it answers the program recreated with the
 * generated declarations; called as a source transformer it answers the
 * `before` rewrite and reports bad tags through ts-patch.
 */
function cachierPlugin(program: TS.Program, config: PluginConfig, extras: SourceTransformerExtras): TS.CustomTransformers;
function cachierPlugin(program: TS.Program, host: TS.CompilerHost | undefined, config: PluginConfig, extras: ProgramTransformerExtras): TS.Program;
function cachierPlugin(
  program: TS.Program,
  hostOrConfig: TS.CompilerHost | PluginConfig | undefined,
  configOrExtras: PluginConfig | SourceTransformerExtras,
  programExtras?: ProgramTransformerExtras,
): TS.CustomTransformers | TS.Program {
  if (programExtras) return transformProgram(programExtras.ts, program, hostOrConfig as TS.CompilerHost | undefined);
  const { ts, addDiagnostic } = configOrExtras as SourceTransformerExtras;
  program.getTypeChecker(); // binding sets the parent links the tag analysis walks
  for (const sourceFile of program.getSourceFiles()) {
    for (const diagnostic of tagDiagnostics(ts, sourceFile, program)) addDiagnostic(diagnostic);
  }
  return { before: [createRewriter(ts, program)] };
}

export default cachierPlugin;
