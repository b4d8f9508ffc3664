import { BackendTimeoutError } from '../errors.js';

/**
 * Runs `operation` with a deadline: when it has not settled within
 * `timeoutMs`, the promise rejects with {@link BackendTimeoutError}. The
 * operation is abandoned, not cancelled: its late answer is ignored, and the
 * client's own timeouts end it.
 */
export function withDeadline<T>(timeoutMs: number, server: string, what: string, operation: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BackendTimeoutError(server, what, timeoutMs)), timeoutMs);
    operation.then(
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
