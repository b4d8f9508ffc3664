import { nodeCrypto } from './node-builtins.js';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from './errors.js';
import type { AnyFunction } from './options.js';
import { defaultFunctionId, projectOnDisk } from './project-identity.js';

/** Where `cachier()` was called from: the file, the function running there (none at a module's top level) and the call site. */
interface Caller {
  readonly file: string;
  readonly functionName: string | undefined;
  /** The file, line and column of the call, which stay the same when the module is evaluated again. */
  readonly site: string;
  /** The module's URL as it was loaded: a module evaluated again as a fresh instance has another one (`?v=2`, `?t=...`). */
  readonly url: string;
}

/**
 * The caller of `entry` (the public `cachier()`): the first stack frame below
 * it outside this package's runtime folder. The stack is cut at `entry`
 * itself, not only by folder: a bundler such as webpack puts the runtime in
 * the application's file but keeps `import.meta.url` pointing at the
 * runtime's original file, so a folder test alone took the runtime's own
 * frames for the caller.
 */
function callerFrame(entry: AnyFunction): Caller | undefined {
  const runtimeDir = ownFolder();
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, frames) => frames;
  try {
    Error.captureStackTrace(holder, entry);
    for (const frame of holder.stack ?? []) {
      const url = frame.getFileName() ?? undefined;
      const file = url?.startsWith('file://') ? fileURLToPath(url) : url;
      if (url && file && !(runtimeDir && file.startsWith(runtimeDir + sep)) && !file.startsWith('node:')) {
        return {
          file,
          functionName: frame.getFunctionName() || undefined,
          site: `${file}:${frame.getLineNumber()}:${frame.getColumnNumber()}`,
          url,
        };
      }
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = previous;
  }
}

/**
 * The folder of this runtime's own files; `undefined` in an application
 * bundled to CommonJS, where `import.meta.url` is empty (esbuild's default
 * format for Node): the stack, cut at `cachier()`, then tells the caller alone.
 */
function ownFolder(): string | undefined {
  const url: unknown = import.meta.url;
  return typeof url === 'string' ? dirname(fileURLToPath(url)) : undefined;
}

const projectOf = projectOnDisk;

/** A derived identity in use in this process: the function it belongs to, and where it was wrapped. */
interface Derivation {
  readonly fn: WeakRef<AnyFunction>;
  readonly site: string;
  readonly url: string | undefined;
}

/** Derived identities (id and source hash) in use in this process. */
const derivedIds = new Map<string, Derivation>();

const NATIVE_SOURCE = /\{\s*\[native code\]\s*\}\s*$/;

/**
 * The identity a function gets when neither the transformer nor the `id`
 * option names it: the calling module's project (its package name), its path
 * inside that package and the function's name, `my-app:src/prices.ts#fetchPrice`
 * (see project-identity.ts), the same wherever the package is installed and
 * apart from every other project's; with a hash of its text as the source hash.
 *
 * Two functions must never derive one identity, or one would be served the
 * other's entries. So a derived identity is refused, with an error asking for
 * `id`, when the function's text does not tell what it computes (bound and
 * native functions), when `cachier()` runs inside a named function (each run
 * may wrap a new closure over other values), and when another function of
 * this process with the same text already derived the same id, unless it is
 * the same call site in a module loaded under another URL (a fresh instance
 * of the module, e.g. `import('./prices.js?v=2')` or a dev server's `?t=`),
 * whose new definition then shares the first's cache (`redefines` names the first).
 *
 * @param entry - the public function the user called, whose caller is the calling module.
 * @throws {@link InvalidOptionError} for option `id` in those cases.
 */
export function deriveIdentity(
  fn: AnyFunction,
  entry: AnyFunction,
): { id: string; sourceHash: string; redefines: AnyFunction | undefined } {
  const source = fn.toString();
  const name = fn.name || 'anonymous';
  if (NATIVE_SOURCE.test(source)) {
    const what = name.startsWith('bound ')
      ? `${name.slice(6) || 'the function'} is a bound function: the values bound to it are invisible to the cache, so two bound copies would share entries`
      : `${name} shows no source (native code), so nothing tells what it computes`;
    throw new InvalidOptionError('id', `${what}; pass an id that names it, e.g. { id: '${name.replace(/^bound /, '')}-with-1' }`);
  }
  const caller = callerFrame(entry);
  if (caller?.functionName) {
    throw new InvalidOptionError(
      'id',
      `cachier() is called inside ${caller.functionName}(), so each run of it may wrap a new closure over other values, ` +
        `which the cache key cannot see; give each its own id naming those values (e.g. { id: \`${name}-\${k}\` }), ` +
        `or wrap the function once at the top level of its module`,
    );
  }
  const id = caller ? defaultFunctionId(projectOf(caller.file), caller.file, name) : name;
  const sourceHash = sourceHashOf(source);
  // Same id and same text: closures from one factory, a function defined twice, or the same
  // module evaluated again. Other text gives another source hash, which keeps their entries apart.
  const identity = `${id}\0${sourceHash}`;
  const earlier = derivedIds.get(identity);
  const owner = earlier?.fn.deref();
  const site = caller?.site ?? name;
  // The same call site in a module loaded under another URL: a fresh instance of the module, not a second closure.
  const redefines = owner !== undefined && owner !== fn && earlier?.site === site && earlier.url !== caller?.url ? owner : undefined;
  if (owner !== undefined && owner !== fn && redefines === undefined) {
    throw new InvalidOptionError(
      'id',
      `another function with the same text already uses the derived cache id ${id} in this process (closures ` +
        `from one factory, or one function defined twice); they would share entries: give each its own id`,
    );
  }
  derivedIds.set(identity, { fn: new WeakRef(fn), site, url: caller?.url });
  return { id, sourceHash, redefines };
}

/** Without the transformer, the source hash is a hash of the function's text as it runs. */
export function sourceHashOf(source: string): string {
  return nodeCrypto().hash('sha256', source, 'base64url').slice(0, 16);
}
