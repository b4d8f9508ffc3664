import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { Output } from './output.js';

/** One thing `cachier doctor` checked. */
export interface Finding {
  readonly check: string;
  /** `fail`: tags are not applied or the cache cannot work; `warn`: works, but should be fixed. */
  readonly status: 'ok' | 'info' | 'warn' | 'fail';
  readonly detail: string;
  /** What to do about it. */
  readonly fix?: string;
}

interface PackageJson {
  readonly version?: string;
  readonly scripts?: Readonly<Record<string, string>>;
}

interface TsConfig {
  readonly compilerOptions?: { readonly plugins?: ReadonlyArray<{ readonly transform?: string }>; readonly outDir?: string };
}

/** The oldest Node the runtime (and `cachier/register`) supports, and the first that runs `.ts` files itself (type stripping). */
const MIN_NODE: readonly [number, number] = [20, 19];
const TYPE_STRIPPING_NODE: readonly [number, number] = [22, 18];
const TS7_FIX =
  'build with npx cachier-tsc (a drop-in for tsc that applies the tag on TypeScript 7), or apply it with a bundler plugin (cachier/vite...) or Node hooks (node --import cachier/register)';

/** Config files of the bundlers and Babel, whose mention of cachier means they apply the tag. */
const TOOL_CONFIG =
  /^(?:(vite|vitest|rollup|rolldown|webpack|rspack|rsbuild|esbuild|tsup|babel)\.config\.[cm]?[jt]s(?:on)?|\.babelrc(?:\.json|\.[cm]?js)?)$/;

/** A cachier bundler or Babel plugin, by the name a build script imports it with (`cachier/esbuild`, `cachier/vite`, ...). */
const PLUGIN_IMPORT = /\bcachier\/(?:vite|rollup|rolldown|webpack|rspack|rsbuild|esbuild|farm|bun|babel)\b/;
/** A JavaScript or TypeScript file, as a build script (`build.mjs`, `scripts/bundle.ts`) is. */
const SCRIPT_FILE = /^[\w./-]+\.[cm]?[jt]s$/;

/** A JSDoc block carrying the cachier tag (the at sign, then `cachier`). */
const TAGGED_COMMENT = /\/\*\*(?:[^*]|\*(?!\/))*?@cachier\b(?:[^*]|\*(?!\/))*\*\//g;

/** Folders never searched for sources or built files. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);
const MAX_FILES = 5000;

function readJson<T>(path: string): T | undefined {
  try {
    return parseJsonc(fs.readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The version of package `name` as Node would resolve it from `dir`. */
function installedVersion(dir: string, name: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const found = readJson<PackageJson>(join(at, 'node_modules', name, 'package.json'));
    if (found?.version) return found.version;
    if (dirname(at) === at) return undefined;
  }
}

const majorOf = (version: string | undefined): number => Number(version?.split('.')[0] ?? NaN);

/**
 * Whether the project's `typescript` is the Go compiler (TypeScript 7), whose
 * `require('typescript')` exports only its version: no compiler API, so no
 * transformer can run in its `tsc`. Decided by what the package exports, and
 * by its major version when it cannot be loaded.
 */
function isGoCompiler(dir: string, version: string | undefined): boolean {
  try {
    const exported = createRequire(join(dir, 'package.json'))('typescript') as Record<string, unknown>;
    return typeof exported['createProgram'] !== 'function';
  } catch {
    return majorOf(version) >= 7;
  }
}

function atLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [have, haveMinor] = version.split('.').map(Number) as [number, number];
  return have > major || (have === major && haveMinor >= minor);
}

/** Files under `dir` whose name passes `wanted`, skipping dependencies, at most {@link MAX_FILES}. */
function filesUnder(dir: string, wanted: (name: string) => boolean, skip: ReadonlySet<string> = SKIPPED_FOLDERS): string[] {
  const found: string[] = [];
  const visit = (folder: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (found.length >= MAX_FILES) return;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name) && !entry.name.startsWith('.')) visit(path);
      } else if (wanted(entry.name)) {
        found.push(path);
      }
    }
  };
  visit(dir);
  return found;
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** The name a tagged declaration right after `end` binds: `function f`, `const f =`, or a method `f(`. */
function declaredName(text: string, end: number): string | undefined {
  const next = text.slice(end, end + 300);
  const match =
    /^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([\w$]+)/.exec(next) ??
    /^\s*(?:export\s+)?(?:const|let|var)\s+([\w$]+)/.exec(next) ??
    /^\s*(?:(?:static|async|public|private|protected|override)\s+)*([\w$]+)\s*\(/.exec(next);
  return match?.[1];
}

/**
 * Tagged functions the compiler emitted unwrapped: a tag comment in built
 * JavaScript in a module that never calls `cachier(` (the rewrite calls
 * `__cachier.cachier(` or `__cachier_module.cachier(`; a bundler may rename
 * the namespace or inline the module's caches, as in
 * `__cachier.moduleCaches().cachier(`), or passes it no id ending in the
 * function's name (the rewrite keeps the comment and names the id so).
 */
export function unwrappedTags(builtFile: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(TAGGED_COMMENT)) {
    const name = declaredName(text, (match.index ?? 0) + match[0].length);
    const wrapped = /\bcachier\(/.test(text) && (!name || new RegExp(`id:\\s*"[^"]*[#.]${name.replace(/\$/g, '\\$')}"`).test(text));
    if (!wrapped) found.push(`${builtFile}:${lineOf(text, match.index ?? 0)}${name ? ` ${name}` : ''}`);
  }
  return found;
}

/** Which routes apply the tag in the project at `dir`. */
/** What the built output showed: how many built files hold tags, and whether all of them are wrapped. */
interface BuiltOutput {
  readonly tagged: number;
  readonly allWrapped: boolean;
}

function routeFindings(
  dir: string,
  pkg: PackageJson | undefined,
  tsconfig: TsConfig | undefined,
  taggedSources: number,
  built: BuiltOutput,
): Finding[] {
  const findings: Finding[] = [];
  const scripts = Object.values(pkg?.scripts ?? {}).join('\n');
  const typescript = installedVersion(dir, 'typescript');
  const tsPatch = installedVersion(dir, 'ts-patch');
  const plugin = tsconfig?.compilerOptions?.plugins?.some((entry) => entry.transform?.includes('cachier/transformer')) ?? false;
  const tools = toolFiles(dir, scripts);
  const hooks = /--import[= ]cachier\/register/.test(`${scripts}\n${process.env['NODE_OPTIONS'] ?? ''}`);
  const cachierTsc = /(^|[\s;&|(])(npx )?cachier-tsc(\s|$)/m.test(scripts);
  // A build whose output holds tags, all wrapped, shows that some route applied them (cachier-tsc run by hand, say).
  const provenByOutput = built.tagged > 0 && built.allWrapped;
  const routes = tools.length + (hooks ? 1 : 0) + (cachierTsc ? 1 : 0);

  findings.push({
    check: 'TypeScript',
    status: 'info',
    detail: typescript
      ? `typescript ${typescript}${tsPatch ? `, ts-patch ${tsPatch}` : ', no ts-patch'}`
      : 'typescript is not installed here',
  });
  const typescript7 = typescript !== undefined && isGoCompiler(dir, typescript);
  if (cachierTsc)
    findings.push({
      check: 'cachier-tsc',
      status: 'ok',
      detail: 'package.json scripts build with cachier-tsc, which applies the tag with any TypeScript',
    });
  // The README's quick start keeps the plugins entry for tspc and the editor and builds with cachier-tsc, often run by
  // hand (no script shows it): where another route or the built output shows the tags applied, the entry is only noted.
  const applied = routes > 0 || provenByOutput;
  const otherRoute = applied ? `${routes > 0 ? ' or the route found here' : ''}, not plain tsc` : '';
  if (plugin && typescript7 && !cachierTsc) {
    findings.push(
      applied
        ? {
            check: 'tsconfig plugin',
            status: 'info',
            detail: `the plugins entry (cachier/transformer) is for tspc and the editor; TypeScript ${typescript}'s tsc ignores it, so build with npx cachier-tsc${otherRoute}`,
          }
        : {
            check: 'tsconfig plugin',
            status: 'fail',
            detail: `tsconfig.json lists cachier/transformer, which TypeScript ${typescript}'s tsc ignores (it is the Go compiler: no plugins, exit code 0, tagged functions emitted unwrapped)`,
            fix: TS7_FIX,
          },
    );
  } else if (plugin && !typescript7 && !tsPatch && !cachierTsc) {
    findings.push(
      applied
        ? {
            check: 'tsconfig plugin',
            status: 'info',
            detail: `the plugins entry (cachier/transformer) is for tspc, which needs ts-patch (not installed); plain tsc ignores it, so build with npx cachier-tsc${otherRoute}`,
          }
        : {
            check: 'tsconfig plugin',
            status: 'fail',
            detail: 'tsconfig.json lists cachier/transformer, but ts-patch is not installed: plain tsc ignores compilerOptions.plugins',
            fix: 'npm i -D ts-patch@3 and build with tspc, or build with npx cachier-tsc',
          },
    );
  } else if (plugin && tsPatch && !typescript7) {
    const patched = /\bts-patch install\b/.test(scripts);
    const plainTsc = /(^|[\s;&|(])tsc(\s|$)/m.test(scripts);
    findings.push(
      plainTsc && !patched
        ? {
            check: 'tsconfig plugin',
            status: 'warn',
            detail: 'package.json scripts run plain tsc, which ignores compilerOptions.plugins: tags are not applied by those scripts',
            fix: 'run tspc (or cachier-tsc) instead of tsc, or add "prepare": "ts-patch install" so tsc itself is patched',
          }
        : {
            check: 'tsconfig plugin',
            status: 'ok',
            detail: `ts-patch ${tsPatch} applies cachier/transformer (tspc${patched ? ', or tsc patched by ts-patch install' : ''})`,
          },
    );
  } else if (!plugin && typescript7 && taggedSources > 0 && routes === 0 && !provenByOutput) {
    findings.push({
      check: 'TypeScript 7',
      status: 'fail',
      detail: `TypeScript ${typescript}'s tsc has no plugin hook: built with plain tsc, tagged functions stay unwrapped`,
      fix: TS7_FIX,
    });
  }
  for (const tool of tools)
    findings.push({
      check: 'bundler or Babel',
      status: 'ok',
      detail: `${tool} ${TOOL_CONFIG.test(tool) ? 'mentions cachier' : 'imports a cachier plugin'}: the tag is applied when it builds`,
    });
  // tsx imported first compiles the TypeScript before the hook sees its tags.
  const tsxFirst = /--import[= ]tsx\b[^\n]*--import[= ]cachier\/register\b/.test(scripts);
  if (hooks && tsxFirst) {
    findings.push({
      check: 'Node hooks',
      status: 'warn',
      detail: 'a script imports tsx before cachier/register: tsx compiles the TypeScript first, so its tagged functions run uncached',
      fix: 'import cachier/register first: node --import cachier/register --import tsx app.ts',
    });
  } else if (hooks) {
    const runsTs = /--import[= ]cachier\/register\b(?![^\n]*--import[= ]tsx)[^\n]*\.[cm]?tsx?\b/.test(scripts);
    const old = runsTs && !atLeast(process.versions.node, TYPE_STRIPPING_NODE);
    findings.push({
      check: 'Node hooks',
      status: old ? 'warn' : 'ok',
      detail: old
        ? `a script runs .ts files with --import cachier/register, which needs Node ${TYPE_STRIPPING_NODE.join('.')} or later to run TypeScript itself; this is ${process.versions.node}`
        : '--import cachier/register applies the tag when Node loads the code',
      ...(old
        ? { fix: `upgrade Node to ${TYPE_STRIPPING_NODE.join('.')} or later, or add --import tsx after --import cachier/register` }
        : {}),
    });
  }
  if (taggedSources > 0 && !plugin && routes === 0 && !typescript7 && !provenByOutput) {
    const files = taggedSources === 1 ? '1 source file holds' : `${taggedSources} source files hold`;
    // A script that builds with plain tsc proves the tags go unapplied; without one, the code may be run
    // by hand with node --import cachier/register, a command line doctor cannot see.
    const plainTsc = /(^|[\s;&|(])tsc(\s|$)/m.test(scripts);
    findings.push({
      check: 'route',
      status: plainTsc ? 'fail' : 'warn',
      detail: plainTsc
        ? `${files} @cachier tags, but nothing here applies them: the scripts build with plain tsc, so they run uncached`
        : `${files} @cachier tags, and no script, plugin or bundler config here applies them: they run uncached unless you run them with node --import cachier/register`,
      fix: 'build with npx cachier-tsc, or with tspc and the plugins entry of the quick start in the README, or use a bundler plugin (cachier/vite...) or node --import cachier/register',
    });
  }
  return findings;
}

/**
 * The files at `dir` that apply the tag when a tool builds: bundler and Babel
 * configs that mention cachier, and build scripts (a JavaScript or TypeScript
 * file at the top of the project or named by a package.json script, as
 * esbuild's are: it has no config file) that import a cachier plugin.
 */
function toolFiles(dir: string, scripts: string): string[] {
  const read = (name: string): string => {
    try {
      return fs.readFileSync(join(dir, name), 'utf8');
    } catch {
      return '';
    }
  };
  const named = scripts.split(/[\s;&|()'"]+/).filter((word) => SCRIPT_FILE.test(word) && !word.includes('node_modules'));
  const candidates = [...new Set([...fs.readdirSync(dir), ...named])];
  return candidates.filter((name) =>
    TOOL_CONFIG.test(name) ? /cachier/.test(read(name)) : SCRIPT_FILE.test(name) && PLUGIN_IMPORT.test(read(name)),
  );
}

function builtOutput(dir: string, tsconfig: TsConfig | undefined): { readonly findings: Finding[]; readonly built: BuiltOutput } {
  const outDirs = [tsconfig?.compilerOptions?.outDir, 'dist', 'build', 'out']
    .filter((folder): folder is string => typeof folder === 'string')
    .map((folder) => join(dir, folder))
    .filter((folder, index, all) => all.indexOf(folder) === index && fs.existsSync(folder));
  if (outDirs.length === 0) {
    return {
      findings: [{ check: 'built output', status: 'info', detail: 'no built output found (dist/, build/, out/ or outDir)' }],
      built: { tagged: 0, allWrapped: false },
    };
  }
  const unwrapped: string[] = [];
  let tagged = 0;
  for (const outDir of outDirs) {
    for (const file of filesUnder(outDir, (name) => /\.[cm]?js$/.test(name))) {
      const text = fs.readFileSync(file, 'utf8');
      if (!text.includes('@cachier')) continue;
      tagged++;
      unwrapped.push(...unwrappedTags(relative(dir, file), text));
    }
  }
  const where = outDirs.map((folder) => relative(dir, folder) || '.').join(', ');
  const built = { tagged, allWrapped: unwrapped.length === 0 };
  if (tagged === 0) {
    return {
      findings: [
        {
          check: 'built output',
          status: 'info',
          detail: `no built file in ${where} keeps a tag comment, so there is nothing to check there (bundlers and removeComments drop them)`,
        },
      ],
      built,
    };
  }
  if (unwrapped.length === 0) {
    return {
      findings: [
        {
          check: 'built output',
          status: 'ok',
          detail: `${tagged === 1 ? `1 built file in ${where} holds` : `${tagged} built files in ${where} hold`} tags, all wrapped`,
        },
      ],
      built,
    };
  }
  const hooks = /--import[= ]cachier\/register/.test(
    `${Object.values(readJson<PackageJson>(join(dir, 'package.json'))?.scripts ?? {}).join('\n')}\n${process.env['NODE_OPTIONS'] ?? ''}`,
  );
  const list = `${unwrapped.slice(0, 10).join(', ')}${unwrapped.length > 10 ? `, and ${unwrapped.length - 10} more` : ''}`;
  return {
    findings: [
      hooks
        ? {
            check: 'built output',
            status: 'info',
            detail: `tagged functions emitted unwrapped, which --import cachier/register wraps when they load: ${list}`,
          }
        : {
            check: 'built output',
            status: 'fail',
            detail: `tagged functions emitted unwrapped (they run uncached): ${list}`,
            fix: 'rebuild through a route that applies the tag (npx cachier-tsc, tspc, a bundler plugin), or run it with node --import cachier/register',
          },
    ],
    built,
  };
}

function cacheFolderFindings(cacheDir: string): Finding[] {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(cacheDir);
  } catch {
    return [
      { check: 'cache folder', status: 'info', detail: `${cacheDir} does not exist yet; the first cached call creates it (mode 700)` },
    ];
  }
  const findings: Finding[] = [];
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    findings.push({
      check: 'cache folder',
      status: 'warn',
      detail: `${cacheDir} belongs to uid ${stats.uid}, not to this user (uid ${uid})`,
      fix: `chown -R $(id -u) ${cacheDir}, or set CACHIER_DIR to a folder of this user`,
    });
  }
  if ((stats.mode & 0o022) !== 0) {
    findings.push({
      check: 'cache folder',
      status: 'warn',
      detail: `${cacheDir} is writable by ${stats.mode & 0o002 ? 'every user' : 'its group'} (mode ${(stats.mode & 0o777).toString(8)}): they could plant values your functions return`,
      fix: `chmod 700 ${cacheDir}`,
    });
  }
  try {
    fs.accessSync(cacheDir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    findings.push({
      check: 'cache folder',
      status: 'fail',
      detail: `${cacheDir} is not readable and writable by this user: every call runs uncached (with a warning)`,
      fix: `fix its permissions, or set CACHIER_DIR to a writable folder`,
    });
  }
  if (findings.length === 0) {
    findings.push({
      check: 'cache folder',
      status: 'ok',
      detail: `${cacheDir}, owned by this user, mode ${(stats.mode & 0o777).toString(8)}`,
    });
  }
  return findings;
}

/** Every check of `cachier doctor` for the project in `dir`. */
export function diagnose(dir: string, cacheDir: string): Finding[] {
  const pkg = readJson<PackageJson>(join(dir, 'package.json'));
  const tsconfig = readJson<TsConfig>(join(dir, 'tsconfig.json'));
  const nodeOk = atLeast(process.versions.node, MIN_NODE);
  const findings: Finding[] = [
    {
      check: 'Node',
      status: nodeOk ? 'ok' : 'fail',
      detail: `Node ${process.versions.node}${nodeOk ? '' : `; cachier needs ${MIN_NODE.join('.')} or later`}`,
      ...(nodeOk ? {} : { fix: `upgrade Node to ${MIN_NODE.join('.')} or later` }),
    },
  ];
  if (!pkg) {
    findings.push({
      check: 'project',
      status: 'warn',
      detail: `no package.json in ${dir}`,
      fix: "run cachier doctor in your project's folder",
    });
  }
  const taggedSources = filesUnder(
    dir,
    (name) => /\.[cm]?tsx?$/.test(name) && !name.endsWith('.d.ts'),
    new Set([...SKIPPED_FOLDERS, 'dist', 'build', 'out']),
  ).filter((file) => new RegExp(TAGGED_COMMENT.source).test(fs.readFileSync(file, 'utf8'))).length;
  findings.push({
    check: 'sources',
    status: 'info',
    detail: `${taggedSources === 1 ? '1 source file holds' : `${taggedSources} source files hold`} @cachier tags`,
  });
  const output = builtOutput(dir, tsconfig);
  findings.push(...routeFindings(dir, pkg, tsconfig, taggedSources, output.built));
  findings.push(...output.findings);
  findings.push(...cacheFolderFindings(cacheDir));
  return findings;
}

const MARKS = { ok: '✓', info: '·', warn: '!', fail: '✗' } as const;

/** `cachier doctor`: prints the findings; answers whether anything failed. */
export async function doctor(output: Output, dir: string, cacheDir: string): Promise<boolean> {
  const findings = diagnose(dir, cacheDir);
  const failed = findings.some((finding) => finding.status === 'fail');
  if (output.json) {
    output.print(JSON.stringify({ project: dir, findings, failed }, null, 2));
    return failed;
  }
  const { green, yellow, red, dim } = output.colors;
  const paint = { ok: green, info: dim, warn: yellow, fail: red } as const;
  for (const finding of findings) {
    output.print(`${paint[finding.status](MARKS[finding.status])} ${finding.check}: ${finding.detail}`);
    if (finding.fix) output.print(`    fix: ${finding.fix}`);
  }
  // "to fix" counts exactly what makes the exit code non-zero; warnings are named apart.
  const toFix = findings.filter((finding) => finding.status === 'fail').length;
  const warnings = findings.filter((finding) => finding.status === 'warn').length;
  const warned = warnings === 0 ? '' : `${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`;
  if (toFix === 0) output.print(warned === '' ? green('No problems found.') : `Nothing to fix; ${warned}.`);
  else output.print(`${toFix} to fix${warned === '' ? '' : `, ${warned}`}.`);
  return failed;
}
