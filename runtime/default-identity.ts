import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyFunction } from './options.js';

const packageRoots = new Map<string, string>();

/**
 * The file that called `cachier()`: the first stack frame outside this
 * package's runtime folder.
 */
function callerFile(): string | undefined {
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, frames) => frames;
  try {
    Error.captureStackTrace(holder, callerFile);
    const runtimeDir = dirname(fileURLToPath(import.meta.url));
    for (const frame of holder.stack ?? []) {
      let file = frame.getFileName() ?? undefined;
      if (file?.startsWith('file://')) file = fileURLToPath(file);
      if (file && !file.startsWith(runtimeDir + sep) && !file.startsWith('node:')) return file;
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

/**
 * The id a function gets when neither the transformer nor the `id` option
 * names it: the calling module's path inside its package (so it is the same
 * wherever the package is installed) and the function's name.
 */
export function defaultFunctionId(fn: AnyFunction): string {
  const file = callerFile();
  const name = fn.name || 'anonymous';
  if (!file) return name;
  const modulePath = relative(packageRootOf(file), file).split(sep).join('/');
  return `${modulePath}#${name}`;
}

/** Without the transformer, the source hash is a hash of the function's text as it runs. */
export function defaultSourceHash(fn: AnyFunction): string {
  return hash('sha256', fn.toString(), 'base64url').slice(0, 16);
}
