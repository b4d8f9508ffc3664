import { isThenable } from '../plan.js';

/**
 * Detects a cached function waiting for its own computation (same id, same
 * key), which would never end, without an async context: an
 * AsyncLocalStorage would make every `await` of the whole process slower on
 * Node 20 and 22, cached or not.
 *
 * Two places tell what is being computed:
 * - the synchronous call stack, for calls made while the function runs
 *   synchronously (a sync function, or an async one before its first `await`):
 *   {@link computeWithin} keeps the computations under way in a stack;
 * - V8's async stack trace, for calls made after an `await`: an async
 *   function's computation is awaited by a function with a name of its own
 *   (`cachier computing #n`), which appears as an `at async` frame in the stack
 *   of any call its computation makes through a chain of `await`s. Reading the
 *   stack costs microseconds, so it is read only when a call is about to wait
 *   for a computation of its own key, never on a hit or a miss.
 *
 * A call reached from the computation without an `await` chain (a callback, a
 * timer, `.then()`) is not seen as re-entry: it waits for the computation,
 * up to `waitForCalcTimeout`, as any other caller does.
 */

interface Computing {
  readonly id: string;
  readonly key: string;
}

interface Frame extends Computing {
  readonly outer: Frame | undefined;
}

type Awaiter = (result: PromiseLike<unknown>) => Promise<unknown>;

/** The computations running synchronously now, innermost first. */
let innermost: Frame | undefined;

/**
 * The functions awaiting async computations, by slot: slot `n`'s is named
 * `cachier computing #n` and awaits one computation at a time. Slots are
 * reused, so a name is made once per slot, never per computation: a function
 * named anew for each computation (an object literal with a new computed key)
 * gives V8 a new hidden class each time, which made every miss slower.
 */
const awaiters: Awaiter[] = [];
/** The computation each slot awaits now; `undefined` for a free slot. */
const awaitedBySlot: Array<Computing | undefined> = [];
const freeSlots: number[] = [];
let busySlots = 0;

const AWAITER_PREFIX = 'cachier computing #';

/**
 * Runs `compute` as the computation of `key` of function `id`; when it answers
 * a promise, answers a promise of the same outcome, awaited by a function
 * whose name identifies the computation in async stack traces.
 */
export function computeWithin(id: string, key: string, compute: () => unknown): unknown {
  const outer = innermost;
  innermost = { id, key, outer };
  let result: unknown;
  try {
    result = compute();
  } finally {
    innermost = outer;
  }
  return isThenable(result) ? awaitInSlot({ id, key }, result) : result;
}

function awaitInSlot(computing: Computing, result: PromiseLike<unknown>): Promise<unknown> {
  const slot = freeSlots.pop() ?? awaiters.length;
  const awaiter = awaiters[slot] ?? awaiterOf(slot);
  awaiters[slot] = awaiter;
  awaitedBySlot[slot] = computing;
  busySlots++;
  const awaiting = awaiter(result);
  const free = (): void => {
    awaitedBySlot[slot] = undefined;
    freeSlots.push(slot);
    busySlots--;
  };
  awaiting.then(free, free);
  return awaiting;
}

function awaiterOf(slot: number): Awaiter {
  const name = `${AWAITER_PREFIX}${slot}`;
  return {
    async [name](result: PromiseLike<unknown>): Promise<unknown> {
      return await result;
    },
  }[name] as Awaiter;
}

/** Whether the caller is, synchronously or through a chain of `await`s, part of the computation of `key` of function `id`. */
export function isComputing(id: string, key: string): boolean {
  for (let frame = innermost; frame; frame = frame.outer) {
    if (frame.key === key && frame.id === id) return true;
  }
  return (
    busySlots > 0 &&
    awaitingSlots().some((slot) => {
      const computing = awaitedBySlot[slot];
      return computing !== undefined && computing.key === key && computing.id === id;
    })
  );
}

/** The slots of the computations awaiting, through `await`s, the code running now. */
function awaitingSlots(): number[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    // Call sites, not text: a tool's own prepareStackTrace (source maps) must not change what is read.
    Error.prepareStackTrace = (_, callSites) => callSites;
    Error.stackTraceLimit = 200;
    Error.captureStackTrace(holder, isComputing);
    return (holder.stack ?? [])
      .map((site) => site.getFunctionName() ?? '')
      .filter((name) => name.startsWith(AWAITER_PREFIX))
      .map((name) => Number(name.slice(AWAITER_PREFIX.length)));
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}
