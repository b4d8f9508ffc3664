import { existsSync, readFileSync } from 'node:fs';
import Module from 'node:module';

const TYPESCRIPT_FILE = /\.(?:[cm]?ts|tsx)$/;

let warned = false;

/**
 * Watches CommonJS modules as Node compiles them, to say when a TypeScript
 * module lost its tags. tsx compiles CommonJS TypeScript in its own `require`
 * hook, which reads the file itself, past cachier's hooks: its tagged
 * functions would run uncached with no word. Every CommonJS module reaches
 * `Module.prototype._compile` with the code about to run, so a TypeScript
 * file whose code no longer holds `@cachier` while the file does is one of
 * those, and the warning (once per process) says how to run it instead.
 */
export function warnOfCommonJsTypeScriptCompiledElsewhere(): void {
  const prototype = Module.prototype as unknown as { _compile(this: unknown, code: string, fileName: string): unknown };
  const compile = prototype._compile;
  prototype._compile = function compileWatched(code, fileName) {
    if (!warned && TYPESCRIPT_FILE.test(fileName) && !code.includes('@cachier') && !fileName.includes('/node_modules/'))
      warnIfTagsLost(fileName);
    return compile.call(this, code, fileName);
  };
}

/** Warns (once per process) that `fileName`, CommonJS TypeScript with `@cachier` tags, was compiled by another loader and runs uncached. */
export function warnIfTagsLost(fileName: string): void {
  if (warned || !existsSync(fileName) || !readFileSync(fileName, 'utf8').includes('@cachier')) return;
  warned = true;
  process.emitWarning(
    `${fileName} holds @cachier tags, but it is CommonJS TypeScript that another loader (tsx) compiled past cachier/register's hooks, so its tagged functions run uncached. ` +
      'Run it with Node\'s own type stripping (Node 22.18+: node --import cachier/register app.cts, without tsx), make the package "type": "module", or build it with cachier-tsc',
    { type: 'CachierWarning', code: 'CACHIER_COMMONJS_TYPESCRIPT' },
  );
}
