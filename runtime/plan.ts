import type { CoreOperations } from './core.js';

/** The core operations a plan runs against: the sync flavour for sync functions. */
export type Operations = CoreOperations<'sync'> | CoreOperations<'async'>;

/**
 * One thing a plan asks for: run against the operations, it answers now or
 * with a promise. `Ops` is the core's operations for the engine; the file
 * core drives its own disk plans the same way over a sync or async disk.
 */
export type Step<Ops = Operations> = (operations: Ops) => unknown;

/** A call's decisions written once as a generator and run by {@link drive}, synchronously or not. */
export type Plan<T, Ops = Operations> = Generator<Step<Ops>, T, unknown>;

/**
 * Runs `step` and hands its settled outcome back to the plan, typed. Written
 * as `const entry = yield* perform((ops) => ops.get(key))`.
 */
export function* perform<T, Ops = Operations>(step: (operations: Ops) => T | PromiseLike<T>): Generator<Step<Ops>, T, unknown> {
  return (yield step) as T;
}

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs a plan synchronously for as long as every step answers at once, and
 * switches to awaiting from the first step that answers with a promise. So
 * one plan serves sync functions over sync cores, async functions over async
 * cores, and memory-core hits of async functions with no microtask hop.
 */
export function drive<T, Ops = Operations>(plan: Plan<T, Ops>, operations: Ops): T | Promise<T> {
  let next = plan.next();
  while (!next.done) {
    let output: unknown;
    try {
      output = next.value(operations);
    } catch (error) {
      next = plan.throw(error);
      continue;
    }
    if (isThenable(output)) return finishAsync(plan, operations, output);
    next = plan.next(output);
  }
  return next.value;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

function settle(pending: unknown): Promise<Outcome> {
  return Promise.resolve(pending).then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

async function finishAsync<T, Ops>(plan: Plan<T, Ops>, operations: Ops, pending: PromiseLike<unknown>): Promise<T> {
  let outcome = await settle(pending);
  while (true) {
    const next = outcome.ok ? plan.next(outcome.value) : plan.throw(outcome.error);
    if (next.done) return next.value;
    try {
      outcome = await settle(next.value(operations));
    } catch (error) {
      outcome = { ok: false, error };
    }
  }
}
