import { BackendTimeoutError } from '../errors.js';

/**
 * Runs `operation` with a deadline of `timeoutMs()` milliseconds, read once
 * the operation has started (a store knows the size of its value then; `null`
 * sets no deadline). When the operation has not settled by then, the promise
 * rejects with {@link BackendTimeoutError} and the signal handed to
 * `operation` aborts, so a driver that takes one (the S3 SDK) drops the
 * request; any other operation is abandoned, its late answer ignored, and the
 * client's own timeouts end it.
 */
export function withDeadline<T>(
  server: string,
  what: string,
  operation: (signal: AbortSignal) => Promise<T>,
  timeoutMs: () => number | null,
): Promise<T> {
  const controller = new AbortController();
  const pending = operation(controller.signal);
  const limit = timeoutMs();
  if (limit === null) return pending;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new BackendTimeoutError(server, what, limit);
      reject(error);
      controller.abort(error);
    }, limit);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
