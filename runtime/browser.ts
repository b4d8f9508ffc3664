/**
 * What a browser build gets for `import 'cachier'` (the package's `browser`
 * export condition, which bundlers targeting the browser pick): one clear
 * error when the module loads, instead of a build that fails on every Node
 * built-in the runtime imports. cachier stores results in files and
 * databases, through `node:fs`, `node:crypto` and server drivers.
 *
 * The functions below are never reached (the module throws first); they are
 * here because bundlers check that each imported name is exported.
 * `test/routes/install.test.ts` checks this module exports the same names as the
 * Node entry.
 * @packageDocumentation
 */
import { CachierError } from './errors.js';

export * from './errors.js';
// Names only (no Node built-in behind them), so a bundler sees the export the Node entry has.
export { cachierChannels } from './events.js';

const NEEDS_NODE =
  'cachier: this is a browser build, and cachier runs in Node.js only (it caches in files and databases). ' +
  'Import cachier from server code only (Vite SSR, a server route or API handler), never from code bundled for the browser';

throw new CachierError(NEEDS_NODE);

function needsNode(): never {
  throw new CachierError(NEEDS_NODE);
}

export const cachier = needsNode;
export const cacheOf = needsNode;
export const moduleCaches = needsNode;
export const setDefaults = needsNode;
export const getDefaults = needsNode;
export const resetDefaults = needsNode;
export const enableCaching = needsNode;
export const disableCaching = needsNode;
export const isCachingEnabled = needsNode;
export const cachierKey = needsNode;
export const parseDuration = needsNode;
