/**
 * The asynchronous load hook `cachier/register` registers with
 * `module.register` where Node has no `module.registerHooks` (Node 20): it
 * rewrites ES modules; CommonJS is covered by a `require` hook in the main thread.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import type { ModuleFormat } from '../../engine/index.js';
import { transformForNode } from './node-transform.js';

const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx)$/;

/** Whether a loaded module is the project's own code with something to rewrite (not a package, not JSON or a built-in). */
export function shouldTransform(url: string, format: string | undefined): boolean {
  return (
    url.startsWith('file:') &&
    !url.includes('/node_modules/') &&
    SOURCE_FILE.test(new URL(url).pathname) &&
    format !== 'json' &&
    format !== 'builtin' &&
    format !== 'wasm'
  );
}

export function formatOf(format: string | undefined): ModuleFormat {
  return format === 'commonjs' || format === 'commonjs-typescript' ? 'cjs' : 'esm';
}

/** The module's text: what the loader read, or the file itself when the loader leaves CommonJS sources to `require`. */
export function sourceText(url: string, source: unknown): string {
  if (typeof source === 'string') return source;
  if (source instanceof Uint8Array) return Buffer.from(source).toString('utf8');
  return readFileSync(fileURLToPath(url), 'utf8');
}

interface LoadResult {
  format?: string;
  source?: unknown;
  shortCircuit?: boolean;
}

/** Where a CommonJS TypeScript module that another loader compiles is reported, to the main thread (see register.ts). */
let lostTags: MessagePort | undefined;

/** The `initialize` hook of `module.register`. */
export function initialize(data: { readonly lostTags?: MessagePort } | undefined): void {
  lostTags = data?.lostTags;
}

const COMMONJS_TYPESCRIPT = /\.cts$/;

/** The `load` hook of `module.register`. */
export async function load(
  url: string,
  context: { format?: string },
  nextLoad: (url: string, context?: object) => Promise<LoadResult>,
): Promise<LoadResult> {
  const loaded = await nextLoad(url, context);
  // Node 20 strips no types: a .cts file as plain CommonJS is one another loader (tsx) compiles itself, past this hook and the require hook.
  if (loaded.format === 'commonjs' && COMMONJS_TYPESCRIPT.test(url) && shouldTransform(url, loaded.format))
    lostTags?.postMessage(fileURLToPath(url));
  // CommonJS goes through the require hook, so it is not rewritten twice.
  if (loaded.format !== 'module' || !shouldTransform(url, loaded.format)) return loaded;
  return { ...loaded, source: transformForNode(fileURLToPath(url), sourceText(url, loaded.source), 'esm') };
}
