/**
 * The ts-patch plugin of cachier. List it in `tsconfig.json` and build with `tspc`:
 *
 * ```json
 * { "compilerOptions": { "plugins": [{ "transform": "cachier/transformer", "transformProgram": true }] } }
 * ```
 *
 * It is a thin adapter over the rewrite engine: the program is recreated from
 * the engine's rewritten text, so the checker, `.d.ts` output and emitted
 * JavaScript all see the cached functions and their controls.
 * @packageDocumentation
 */
import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';
import { CACHIER_DIAGNOSTIC_CODE } from './diagnostics.js';
import { transformProgram } from './program-transformer.js';

export { CACHIER_DIAGNOSTIC_CODE } from './diagnostics.js';

/** The tsconfig plugin entry, as ts-patch hands it over. */
export interface PluginConfig {
  /** The module ts-patch loaded: `cachier/transformer`. */
  readonly transform?: string;
  /** Must be `true`: cachier rewrites the program, not the emitted output. */
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
 * (`transformProgram: true`) it answers the program recreated from the
 * rewritten modules. Listed without `transformProgram`, it fails the build
 * with a diagnostic that says to add it, rather than emit uncached functions.
 */
function cachierPlugin(program: TS.Program, config: PluginConfig, extras: SourceTransformerExtras): TS.CustomTransformers;
function cachierPlugin(
  program: TS.Program,
  host: TS.CompilerHost | undefined,
  config: PluginConfig,
  extras: ProgramTransformerExtras,
): TS.Program;
function cachierPlugin(
  program: TS.Program,
  hostOrConfig: TS.CompilerHost | PluginConfig | undefined,
  configOrExtras: PluginConfig | SourceTransformerExtras,
  programExtras?: ProgramTransformerExtras,
): TS.CustomTransformers | TS.Program {
  if (programExtras) return transformProgram(programExtras.ts, program, hostOrConfig as TS.CompilerHost | undefined);
  const { ts, addDiagnostic } = configOrExtras as SourceTransformerExtras;
  if (program.getSourceFiles().some((sourceFile) => !sourceFile.isDeclarationFile && sourceFile.text.includes('@cachier'))) {
    addDiagnostic({
      file: undefined,
      start: undefined,
      length: undefined,
      messageText:
        'cachier: the plugin entry of "cachier/transformer" needs "transformProgram": true in tsconfig.json compilerOptions.plugins; without it tagged functions would be emitted uncached',
      category: ts.DiagnosticCategory.Error,
      code: CACHIER_DIAGNOSTIC_CODE,
      source: 'cachier',
    });
  }
  // ts-patch wants a transformer; this one leaves the code as it is.
  return { before: [() => (sourceFile: TS.SourceFile) => sourceFile] };
}

export default cachierPlugin;
