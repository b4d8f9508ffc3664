import type { S3Sender } from './location.js';

/** The HTTP status an S3 error carries, if any. */
export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** Whether `error` says the object does not exist. */
export function isMissing(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

/** Whether `error` says a conditional write lost (412 Precondition Failed, or 409 when racing another conditional write). */
export function isConditionLost(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 409;
}

/** Runs `operation`, answering `undefined` when the object does not exist. */
export async function unlessMissing<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

// Whether each client and bucket honours If-None-Match on PutObject, asked once per process.
const conditionalWrites = new WeakMap<S3Sender, Map<string, Promise<boolean>>>();

/**
 * Whether the endpoint refuses a second `PutObject` with `If-None-Match: *`
 * (AWS S3 does since 2024; some S3-compatible servers ignore the header).
 * Finds out once per client and bucket with a probe object under `prefix`.
 */
export function supportsConditionalWrites(
  client: S3Sender,
  bucket: string,
  probe: (ifNoneMatch: string | undefined) => Promise<unknown>,
  remove: () => Promise<unknown>,
): Promise<boolean> {
  let buckets = conditionalWrites.get(client);
  if (!buckets) {
    buckets = new Map();
    conditionalWrites.set(client, buckets);
  }
  let answer = buckets.get(bucket);
  if (!answer) {
    answer = (async () => {
      await probe(undefined);
      try {
        await probe('*');
        return false;
      } catch (error) {
        if (isConditionLost(error)) return true;
        throw error;
      } finally {
        await remove().catch(() => undefined);
      }
    })();
    buckets.set(bucket, answer);
    answer.catch(() => buckets.delete(bucket));
  }
  return answer;
}

/**
 * Reads a GetObject body into one buffer of its Content-Length, chunk by
 * chunk as the socket delivers them, so a large value is never held twice
 * (collecting the chunks and then concatenating them would). Bodies of
 * unknown length, or that are not Node streams, fall back to the SDK's reader.
 */
export async function readBody(body: unknown, length: number | undefined): Promise<Uint8Array> {
  const chunks = body as AsyncIterable<Uint8Array> | null;
  if (length === undefined || typeof chunks?.[Symbol.asyncIterator] !== 'function') {
    return (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
  }
  const bytes = Buffer.allocUnsafe(length);
  let filled = 0;
  for await (const chunk of chunks) {
    if (filled + chunk.length > length) throw new Error(`the object is longer than its Content-Length of ${length} bytes`);
    bytes.set(chunk, filled);
    filled += chunk.length;
  }
  if (filled !== length) throw new Error(`the object ended after ${filled} of its ${length} bytes`);
  return bytes;
}
