import { debuglog } from 'node:util';
import type { CoreLog } from './core.js';

const debug = debuglog('cachier');

/**
 * The log of one cached function: decisions go to `NODE_DEBUG=cachier`
 * (Node's own convention), problems that skip the cache become process
 * warnings of type `CachierWarning`, which `process.on('warning')` receives.
 */
export function logFor(functionId: string): CoreLog {
  return {
    debugEnabled: debug.enabled,
    debug(message) {
      debug('%s: %s', functionId, message);
    },
    warn(message, code) {
      process.emitWarning(`${functionId}: ${message}`, { type: 'CachierWarning', code });
    },
  };
}
