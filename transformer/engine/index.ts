/**
 * The rewrite engine's whole surface: what every route (ts-patch, `tsc` 7,
 * Node hooks, bundlers, Babel, Jest, the editor plugin) may use. Routes import
 * this module only, never a file beside it, so the engine can change how it
 * parses and hashes without touching an adapter.
 * @packageDocumentation
 */
export {
  checkTags,
  formatDiagnostic,
  moduleFacts,
  TagError,
  transformModule,
  type CachierDiagnostic,
  type FunctionFacts,
  type TransformInput,
  type TransformResult,
} from './transform.js';
export { ModuleGraph, readFromDisk, type ReadText } from './module-graph.js';
export { BuildGraphs, type BuildGraphsOptions } from './build-graphs.js';
export { projectTransformStore, TransformStore, type Stamp } from './transform-store.js';
export type { ModuleFormat } from './module-rewrite.js';
export { moduleFormatOf } from './module-format.js';
export { nativeParser, parseModule, requireParserInstalled, type ParsedModule } from './parser.js';
export { analyzeModuleText, type ModuleAnalysis } from './analyze.js';
export { generatedDeclarations } from './declarations.js';
export { modulePathOf } from './module-path.js';
export { TagProblem } from './problems.js';
export { followGeneratedEdits, followSourceEdits } from './source-map-edits.js';
