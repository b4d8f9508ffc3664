import type { ClientOption } from '../shared/connection.js';
import { requireMethods } from '../shared/connection.js';
import { InvalidOptionError } from '../../errors.js';

/**
 * The part of an `S3Client` of `@aws-sdk/client-s3` the s3 backend uses;
 * written structurally so that cachier loads the SDK only when used.
 */
export interface S3Sender {
  /** Sends one command; `abortSignal` cancels its request (cachier's deadline passed). */
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Where the s3 backend keeps entries. */
export interface S3Location {
  /** An `S3Client` of `@aws-sdk/client-s3` (v3), for AWS or any S3-compatible endpoint. */
  readonly client: S3Sender;
  /** The bucket; it must exist. */
  readonly bucket: string;
  /**
   * Prepended to every object name; end it with `/` to make it a folder.
   * @defaultValue `'cachier/'`
   */
  readonly prefix?: string;
}

/** The `s3` option: the location, or a function returning it (or a promise of it). */
export type S3Option = ClientOption<S3Location>;

/** Checks that what the `s3` option gave is `{ client, bucket, prefix? }`. */
export function asS3Location(value: unknown): S3Location {
  const location = value as Partial<S3Location> | null;
  if (typeof location !== 'object' || location === null || typeof location.bucket !== 'string' || location.bucket === '') {
    throw new InvalidOptionError(
      's3',
      `must be { client, bucket, prefix? } with a bucket name, e.g. { client: new S3Client({}), bucket: 'my-cache' }`,
    );
  }
  requireMethods<S3Sender>(location.client, ['send'], 's3', 'an object whose client is an S3Client of @aws-sdk/client-s3');
  if (location.prefix !== undefined && typeof location.prefix !== 'string') {
    throw new InvalidOptionError('s3', `prefix must be a string such as 'cachier/'`);
  }
  return location as S3Location;
}
