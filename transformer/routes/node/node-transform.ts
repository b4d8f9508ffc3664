import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { debuglog } from 'node:util';
import remapping from '@jridgewell/remapping';
import { ModuleGraph, projectTransformStore, readFromDisk, TagError, transformModule, type ModuleFormat } from '../../engine/index.js';

/** One graph per process: a module loads once, and its dependencies are read once. */
const graph = new ModuleGraph(readFromDisk, projectTransformStore());
/** `NODE_DEBUG=cachier` */
const debug = debuglog('cachier');
const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=([^\s]+)\s*$/;
const TYPESCRIPT_FILE = /\.(?:[cm]?ts|tsx)$/;

/**
 * The source Node should run for a module it loads: TypeScript (run by Node's
 * type stripping, or handed on to tsx) is rewritten from its own tags;
 * JavaScript emitted from TypeScript is rewritten with the facts of the
 * TypeScript source its source map leads to (so ids and hashes equal every
 * other route's), else from the tags in its own comments. The answer carries
 * an inline source map (used with `--enable-source-maps`); lines never move.
 *
 * @throws {@link TagError} naming file:line:column for each bad tag.
 */
export function transformForNode(fileName: string, source: string, format: ModuleFormat): string {
  if (TYPESCRIPT_FILE.test(fileName) && !source.includes('@cachier')) warnIfStrippedBefore(fileName);
  const original = TYPESCRIPT_FILE.test(fileName) ? undefined : typeScriptSourceOf(fileName, source);
  if (!original && !source.includes('@cachier')) return source;
  const result = transformModule(
    original ? { code: source, fileName, original: original.source, format, graph } : { code: source, fileName, format, graph },
  );
  if (result.diagnostics.length > 0) throw new TagError(result.diagnostics);
  if (!result.changed || !result.map) return source;
  if (!TYPESCRIPT_FILE.test(fileName)) {
    // Built JavaScript with tags its build left uncached: say so, the build route may be the wrong one.
    debug(
      '%s: applied the tag to %s, which the build emitted uncached (build with cachier-tsc or tspc to cache them without this hook)',
      fileName,
      result.functions.map((fn) => fn.id).join(', '),
    );
  }
  const map = original ? remapping([result.map.toString(), original.map], () => null).toString() : result.map.toString();
  return `${result.code.replace(SOURCE_MAP_COMMENT, '')}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}\n`;
}

interface EmittedFrom {
  readonly source: { readonly code: string; readonly fileName: string };
  /** The emitted file's own map, to chain ours onto. */
  readonly map: string;
}

/** The TypeScript source with tags that the JavaScript's source map (a file next to it) leads to. */
function typeScriptSourceOf(fileName: string, code: string): EmittedFrom | undefined {
  const comment = SOURCE_MAP_COMMENT.exec(code);
  if (!comment || comment[1]?.startsWith('data:')) return undefined;
  const mapFile = resolve(dirname(fileName), comment[1] as string);
  if (!existsSync(mapFile)) return undefined;
  const map = readFileSync(mapFile, 'utf8');
  const { sources, sourceRoot } = JSON.parse(map) as { sources?: string[]; sourceRoot?: string };
  const [first] = sources ?? [];
  if (sources?.length !== 1 || first === undefined) return undefined;
  const sourceFile = resolve(dirname(mapFile), sourceRoot ?? '', first);
  if (!TYPESCRIPT_FILE.test(sourceFile) || !existsSync(sourceFile)) return undefined;
  const sourceCode = readFileSync(sourceFile, 'utf8');
  if (!sourceCode.includes('@cachier')) return undefined;
  // The emitted map's sources are relative to the map; make them absolute for the chain.
  const absolute = JSON.stringify({ ...(JSON.parse(map) as object), sources: [sourceFile], sourceRoot: undefined });
  return { source: { code: sourceCode, fileName: sourceFile }, map: absolute };
}

let warnedOfOrder = false;

/**
 * A TypeScript module that reaches this hook without the tags its file holds
 * was compiled by a loader that ran first (tsx imported before
 * `cachier/register`, or the `tsx` command's own `--import`): its tags are
 * lost, so say how to order the loaders, once.
 */
function warnIfStrippedBefore(fileName: string): void {
  if (warnedOfOrder || !existsSync(fileName) || !readFileSync(fileName, 'utf8').includes('@cachier')) return;
  warnedOfOrder = true;
  process.emitWarning(
    `${fileName} holds @cachier tags, but another loader compiled it before cachier/register saw it, so its tagged functions run uncached. ` +
      "Import cachier/register first: node --import cachier/register --import tsx app.ts (the tsx command's own --import runs too late)",
    { type: 'CachierWarning', code: 'CACHIER_LOADER_ORDER' },
  );
}
