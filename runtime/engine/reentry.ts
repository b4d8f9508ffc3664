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
 *   function's computation is awaited by a function named after it
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

/** The computations running synchronously now, innermost first. */
let innermost: Frame | undefined;

/** The async computations under way, by the number in the name of the function awaiting them. */
const awaited = new Map<number, Computing>();
let lastNumber = 0;

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
  return isThenable(result) ? awaitNamed({ id, key }, result) : result;
}

function awaitNamed(computing: Computing, result: PromiseLike<unknown>): Promise<unknown> {
  const number = ++lastNumber;
  const name = `${AWAITER_PREFIX}${number}`;
  awaited.set(number, computing);
  const awaiter = {
    async [name](): Promise<unknown> {
      try {
        return await result;
      } finally {
        awaited.delete(number);
      }
    },
  }[name] as () => Promise<unknown>;
  return awaiter();
}

/** Whether the caller is, synchronously or through a chain of `await`s, part of the computation of `key` of function `id`. */
export function isComputing(id: string, key: string): boolean {
  for (let frame = innermost; frame; frame = frame.outer) {
    if (frame.key === key && frame.id === id) return true;
  }
  return awaited.size > 0 && awaitedNumbers().some((number) => {
    const computing = awaited.get(number);
    return computing !== undefined && computing.key === key && computing.id === id;
  });
}

/** The numbers of the computations awaiting, through `await`s, the code running now. */
function awaitedNumbers(): number[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    // Call sites, not text: a tool's own prepareStackTrace (source maps) must not change what is read.
    Error.prepareStackTrace = (_, callSites) => callSites;
    Error.stackTraceLimit = 200;
    Error.captureStackTrace(holder, isComputing);
    const sites = holder.stack ?? [];
    return sites
      .map((site) => site.getFunctionName() ?? '')
      .filter((name) => name.startsWith(AWAITER_PREFIX))
      .map((name) => Number(name.slice(AWAITER_PREFIX.length)));
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}
