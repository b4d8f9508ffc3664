import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from './errors.js';
import type { AnyFunction } from './options.js';

const packageRoots = new Map<string, string>();

/** Where `cachier()` was called from: the file, and the function running there (none at a module's top level). */
interface Caller {
  readonly file: string;
  readonly functionName: string | undefined;
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
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, frames) => frames;
  try {
    Error.captureStackTrace(holder, entry);
    const runtimeDir = dirname(fileURLToPath(import.meta.url));
    for (const frame of holder.stack ?? []) {
      let file = frame.getFileName() ?? undefined;
      if (file?.startsWith('file://')) file = fileURLToPath(file);
      if (file && !file.startsWith(runtimeDir + sep) && !file.startsWith('node:')) {
        return { file, functionName: frame.getFunctionName() || undefined };
      }
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = previous;
  }
}

function packageRootOf(file: string): string {
  const start = dirname(file);
  const known = packageRoots.get(start);
  if (known) return known;
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const root = existsSync(join(dir, 'package.json')) ? dir : start;
  packageRoots.set(start, root);
  return root;
}

/** Derived identities (id and source hash) in use in this process, and the function each belongs to. */
const derivedIds = new Map<string, WeakRef<AnyFunction>>();

const NATIVE_SOURCE = /\{\s*\[native code\]\s*\}\s*$/;

/**
 * The identity a function gets when neither the transformer nor the `id`
 * option names it: the calling module's path inside its package (so it is the
 * same wherever the package is installed) and the function's name, with a hash
 * of its text as the source hash.
 *
 * Two functions must never derive one identity, or one would be served the
 * other's entries. So a derived identity is refused, with an error asking for
 * `id`, when the function's text does not tell what it computes (bound and
 * native functions), when `cachier()` runs inside a named function (each run
 * may wrap a new closure over other values), and when another function of
 * this process with the same text already derived the same id.
 *
 * @param entry - the public function the user called, whose caller is the calling module.
 * @throws {@link InvalidOptionError} for option `id` in those cases.
 */
export function deriveIdentity(fn: AnyFunction, entry: AnyFunction): { id: string; sourceHash: string } {
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
  const id = caller ? `${relative(packageRootOf(caller.file), caller.file).split(sep).join('/')}#${name}` : name;
  const sourceHash = sourceHashOf(source);
  // Same id and same text: closures from one factory, or a function defined twice. Other
  // text gives another source hash, which keeps their entries apart.
  const identity = `${id}\0${sourceHash}`;
  const owner = derivedIds.get(identity)?.deref();
  if (owner !== undefined && owner !== fn) {
    throw new InvalidOptionError(
      'id',
      `another function with the same text already uses the derived cache id ${id} in this process (closures ` +
        `from one factory, or one function defined twice); they would share entries: give each its own id`,
    );
  }
  derivedIds.set(identity, new WeakRef(fn));
  return { id, sourceHash };
}

/** Without the transformer, the source hash is a hash of the function's text as it runs. */
export function sourceHashOf(source: string): string {
  return hash('sha256', source, 'base64url').slice(0, 16);
}
