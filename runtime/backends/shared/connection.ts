import { BackendError, CachierError, InvalidOptionError } from '../../errors.js';

/**
 * What a shared backend's option holds: the client itself, or a function
 * returning it (or a promise of it), called on first use.
 */
export type ClientOption<T> = T | (() => T | Promise<T>);

/**
 * Resolves a {@link ClientOption} once, checking its shape with `check`; a
 * failure (the factory threw, the server was down) is retried on the next
 * call. The `signal` of the call that starts the resolution is handed to the
 * factory, so that a connection step the backend makes itself (the s3 core's
 * probe) is cancelled with the operation that waits for it.
 */
export function lazyClient<T>(option: unknown, check: (value: unknown) => T): (signal?: AbortSignal) => Promise<T> {
  let resolved: Promise<T> | undefined;
  return (signal) => {
    if (!resolved) {
      const attempt = Promise.resolve()
        .then(() => (typeof option === 'function' ? (option as (signal?: AbortSignal) => unknown)(signal) : option))
        .then(check);
      attempt.catch(() => {
        if (resolved === attempt) resolved = undefined;
      });
      resolved = attempt;
    }
    return resolved;
  };
}

/** Throws {@link InvalidOptionError} naming the methods `value` lacks to be what `option` must hold. */
export function requireMethods<T>(value: unknown, methods: readonly string[], option: string, expected: string): T {
  const missing = methods.filter((name) => typeof (value as Record<string, unknown> | null)?.[name] !== 'function');
  if (missing.length > 0) {
    throw new InvalidOptionError(option, `must be ${expected}; what it holds has no ${missing.join(', ')}`);
  }
  return value as T;
}

/**
 * Runs one backend operation, turning a driver failure into a
 * {@link BackendError} that says what failed and how to make it fail fast.
 */
export async function runOperation<T>(server: string, what: string, hint: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof CachierError) throw error;
    throw new BackendError(`cachier: ${server} ${what} failed: ${(error as Error)?.message ?? String(error)}. ${hint}`, { cause: error });
  }
}

/**
 * Wraps a housekeeping task (such as deleting entries of older source
 * hashes) that each process runs once: later calls do nothing once it has
 * succeeded; a failure goes to `failed` and the next call tries again.
 */
export function oncePerProcess<Args extends unknown[]>(
  task: (...args: Args) => Promise<unknown>,
  failed: (error: unknown) => void,
): (...args: Args) => Promise<void> {
  let done = false;
  return async (...args) => {
    if (done) return;
    done = true;
    try {
      await task(...args);
    } catch (error) {
      done = false;
      failed(error);
    }
  };
}
