/**
 * The language-service (editor) plugin of cachier. tsserver loads it from the
 * `name` of a `compilerOptions.plugins` entry, which can be the same entry
 * ts-patch reads:
 *
 * ```json
 * { "name": "cachier/language-service", "transform": "cachier/transformer", "transformProgram": true }
 * ```
 *
 * The editor then sees what `tspc` sees: the generated declarations appended
 * to each module with tagged functions (so `fetchPrices.clearCache()` and the
 * module's `clearCache()` get no red squiggle) and bad tags as errors.
 *
 * It is CommonJS because tsserver loads plugins with `require()` and expects
 * the module itself to be the plugin's factory.
 * @packageDocumentation
 */
import type * as TS from 'typescript';
import { analyzeModuleText, generatedDeclarations } from '../../engine/index.js';
import type { TypeScript } from './typescript-api.js';
import { tagDiagnostics } from './diagnostics.js';

const TYPESCRIPT_MODULE = /\.(?:[cm]?ts|tsx)$/;

/** What tsserver hands a plugin's `create`: the language service to decorate and its host. */
interface PluginCreateInfo {
  readonly languageService: TS.LanguageService;
  readonly languageServiceHost: TS.LanguageServiceHost;
}

/** The plugin factory tsserver calls with its own TypeScript instance. */
function cachierLanguageServicePlugin(modules: { typescript: TypeScript }): { create(info: PluginCreateInfo): TS.LanguageService } {
  const ts = modules.typescript;
  return {
    create(info) {
      extendSnapshots(ts, info.languageServiceHost);
      return withTagDiagnostics(ts, info.languageService);
    },
  };
}

/** Serves each module with tagged functions to the language service with its generated declarations appended. */
function extendSnapshots(ts: TypeScript, host: TS.LanguageServiceHost): void {
  const getScriptSnapshot = host.getScriptSnapshot.bind(host);
  host.getScriptSnapshot = (fileName) => {
    const snapshot = getScriptSnapshot(fileName);
    if (!snapshot || !TYPESCRIPT_MODULE.test(fileName) || fileName.endsWith('.d.ts')) return snapshot;
    const text = snapshot.getText(0, snapshot.getLength());
    if (!text.includes('@cachier')) return snapshot;
    const declarations = generatedDeclarations(analyzeModuleText(fileName, text));
    return declarations === '' ? snapshot : ts.ScriptSnapshot.fromString(text + declarations);
  };
}

/** The language service, with bad tags among each file's semantic diagnostics. */
function withTagDiagnostics(ts: TypeScript, languageService: TS.LanguageService): TS.LanguageService {
  return {
    ...languageService,
    getSemanticDiagnostics(fileName) {
      const diagnostics = languageService.getSemanticDiagnostics(fileName);
      const program = languageService.getProgram();
      const sourceFile = program?.getSourceFile(fileName);
      return sourceFile ? [...diagnostics, ...tagDiagnostics(ts, sourceFile, program)] : diagnostics;
    },
  };
}

export = cachierLanguageServicePlugin;
