/**
 * The persistent contenders, opened the same way by every scenario (and by
 * the child processes of the cross-process and cold-start scenarios): our
 * file core and the two persistent peers.
 */
import { join } from 'node:path';
import { cachier, hasBackend, notAvailableYet } from './ours.mjs';
import { cacacheMemo, cacachePut, cacheManagerFileMemo, IN_MEMORY_ONLY, jsonKey } from './peers.mjs';
import { quoteOf, requestFor } from './workload.mjs';

/** @typedef {(request: { symbol: string, days: number }) => Promise<unknown>} Memoized */

/**
 * @typedef {object} OpenStore
 * @property {Memoized} memo - the memoized function.
 * @property {(from: number, to: number, deadline: number) => Promise<number>} fill -
 *   stores the results of calls from..to-1 without computing them, stopping
 *   at the `performance.now()` deadline; answers the first call not stored.
 *   (Call `i`'s argument is `requestFor(i)`.)
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} PersistentContender
 * @property {string} name
 * @property {string} [unavailable] - why it cannot run in this build.
 * @property {(dir: string, fn: Memoized) => OpenStore} open
 */

/**
 * Runs `store(i)` for i in from..to-1, `parallel` at a time, until the deadline.
 * @param {number} from
 * @param {number} to
 * @param {number} deadline
 * @param {number} parallel - the fastest on this kind of machine, measured.
 * @param {(i: number) => Promise<unknown>} store
 */
async function fillInBatches(from, to, deadline, parallel, store) {
  let next = from;
  while (next < to && performance.now() < deadline) {
    const batch = Math.min(parallel, to - next);
    const first = next;
    await Promise.all(Array.from({ length: batch }, (_, offset) => store(first + offset)));
    next += batch;
  }
  return next;
}

/** Our file core with its defaults (cross-process fresh: `reload: true`). */
const cachierFile = {
  name: 'cachier file core',
  get unavailable() {
    return hasBackend('file') ? undefined : notAvailableYet('file');
  },
  /** @type {PersistentContender['open']} */
  open(dir, fn) {
    // A fixed source hash: the processes of scenarios 4 and 5 wrap different function objects.
    const memo = cachier(fn, { backend: 'file', cacheDir: dir, id: 'bench#quote', sourceHash: 'bench-quote-v1' });
    return {
      memo,
      fill: (from, to, deadline) => fillInBatches(from, to, deadline, 1, (i) => memo.precache([requestFor(i)], quoteOf(requestFor(i)))),
      close: async () => undefined,
    };
  },
};

/** npm's cacache as a memo store. */
const cacache = {
  name: 'cacache',
  unavailable: undefined,
  /** @type {PersistentContender['open']} */
  open(dir, fn) {
    return {
      memo: cacacheMemo(fn, dir),
      fill: (from, to, deadline) => fillInBatches(from, to, deadline, 16, (i) => cacachePut(dir, [requestFor(i)], quoteOf(requestFor(i)))),
      close: async () => undefined,
    };
  },
};

/** cache-manager's wrap over keyv-file. */
const keyvFile = {
  name: 'cache-manager + keyv-file',
  unavailable: undefined,
  /** @type {PersistentContender['open']} */
  open(dir, fn) {
    const { memo, cache, close } = cacheManagerFileMemo(fn, join(dir, 'store.json'));
    return {
      memo,
      // Every set schedules the same debounced whole-file write, so one batch
      // of all entries costs one write.
      fill: (from, to, deadline) =>
        fillInBatches(from, to, deadline, to - from, (i) => cache.set(jsonKey([requestFor(i)]), quoteOf(requestFor(i)))),
      close: async () => {
        await close();
      },
    };
  },
};

/** @type {PersistentContender[]} */
export const PERSISTENT_CONTENDERS = [cachierFile, cacache, keyvFile];

/**
 * The contender named `name`.
 * @param {string} name
 * @returns {PersistentContender}
 */
export function persistentContender(name) {
  const found = PERSISTENT_CONTENDERS.find((contender) => contender.name === name);
  if (!found) throw new Error(`bench: no persistent contender named ${name}`);
  return found;
}

/**
 * The rows of a scenario about persistence: each persistent contender as
 * `measureOne` measures it (or n/a with the reason it cannot run here), then
 * the in-memory peers, which cannot take part.
 * @param {(contender: PersistentContender) => Promise<import('./report.mjs').Row>} measureOne
 * @returns {Promise<import('./report.mjs').Row[]>}
 */
export async function persistentRows(measureOne) {
  const rows = [];
  for (const contender of PERSISTENT_CONTENDERS) {
    rows.push(contender.unavailable ? { contender: contender.name, unavailable: contender.unavailable } : await measureOne(contender));
  }
  rows.push({ contender: 'memoizee', unavailable: IN_MEMORY_ONLY }, { contender: 'p-memoize', unavailable: IN_MEMORY_ONLY });
  return rows;
}
