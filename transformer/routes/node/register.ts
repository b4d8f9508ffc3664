/**
 * `node --import cachier/register app.ts`: Node module hooks that apply the
 * `@cachier` tag to the modules an application loads, ES modules and
 * CommonJS, TypeScript (Node 22.18+ and 24 run it by type stripping) and
 * JavaScript emitted from it (`node --import cachier/register dist/app.js`).
 *
 * With tsx, import this first, so tsx compiles the rewritten source:
 * `node --import cachier/register --import tsx app.ts`. (The `tsx` command's
 * own `--import` runs after tsx has stripped the comments the tags live in.)
 *
 * Uses `module.registerHooks` (synchronous, in-thread, covers `require` too)
 * where Node has it (22.15+), else `module.register` for ES modules and a
 * `require` hook for CommonJS (Node 20).
 * @packageDocumentation
 */
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { addHook } from 'pirates';
// The runtime the rewritten modules require, loaded and linked now: Node 22 cannot
// require() an ES module graph from a CommonJS TypeScript entry point it runs through
// its ES module loader (ERR_VM_MODULE_LINK_FAILURE) unless that graph is already linked.
import '../../../runtime/index.js';
import { MessageChannel } from 'node:worker_threads';
import { warnIfTagsLost, warnOfCommonJsTypeScriptCompiledElsewhere } from './commonjs-typescript.js';
import { transformForNode } from './node-transform.js';
import { formatOf, shouldTransform, sourceText } from './register-hooks.js';

type RegisterHooks = (hooks: {
  load(
    url: string,
    context: { format?: string },
    nextLoad: (url: string, context?: object) => { format?: string; source?: unknown },
  ): { format?: string; source?: unknown };
}) => void;

const registerHooks = (module as unknown as { registerHooks?: RegisterHooks }).registerHooks;

if (registerHooks) {
  registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      if (!shouldTransform(url, loaded.format)) return loaded;
      const source = sourceText(url, loaded.source);
      return { ...loaded, source: transformForNode(fileURLToPath(url), source, formatOf(loaded.format)) };
    },
  });
} else {
  // The hooks run in their own thread: a CommonJS TypeScript module another loader compiles is reported back here.
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (fileName: string) => warnIfTagsLost(fileName));
  port1.unref();
  module.register('./register-hooks.js', import.meta.url, { data: { lostTags: port2 }, transferList: [port2] });
  addHook((code, fileName) => transformForNode(fileName, code, 'cjs'), {
    exts: ['.js', '.cjs'],
    ignoreNodeModules: true,
    matcher: (fileName) => shouldTransform(`file://${fileName}`, 'commonjs'),
  });
}
warnOfCommonJsTypeScriptCompiledElsewhere();
