import { lazyClient } from '../shared/connection.js';
import { generationChannel, type InvalidationChannel, type InvalidationSettings } from '../shared/invalidation.js';
import { importOptionalPeer } from '../shared/optional-peer.js';
import { generationObject, versionRoot } from './layout.js';
import { asS3Location } from './location.js';
import { readBody, unlessMissing } from './objects.js';

type Sdk = typeof import('@aws-sdk/client-s3');
type GetOutput = import('@aws-sdk/client-s3').GetObjectCommandOutput;

/**
 * The S3 invalidation channel of one function: the generation object
 * `P F/H/g` (see `layout.ts`), whose body, a random token, is rewritten by
 * every change and read at most once per `GENERATION_CHECK_MS`.
 */
export function createInvalidationChannel(settings: InvalidationSettings): InvalidationChannel {
  const location = lazyClient(settings.connection, asS3Location);
  const sdk = lazyClient(
    () => importOptionalPeer<Sdk>('@aws-sdk/client-s3', 'the s3 backend'),
    (loaded) => loaded as Sdk,
  );
  const target = async () => {
    const [loaded, where] = await Promise.all([sdk(), location()]);
    return { sdk: loaded, where, name: generationObject(versionRoot(where, settings.functionId, settings.sourceHash)) };
  };
  return generationChannel(
    {
      async read() {
        const { sdk: s3, where, name } = await target();
        const reading = where.client.send(new s3.GetObjectCommand({ Bucket: where.bucket, Key: name })) as Promise<GetOutput>;
        const object = await unlessMissing(reading);
        return object?.Body ? Buffer.from(await readBody(object.Body, object.ContentLength)).toString('utf8') : undefined;
      },
      async write(token) {
        const { sdk: s3, where, name } = await target();
        await where.client.send(new s3.PutObjectCommand({ Bucket: where.bucket, Key: name, Body: token }));
      },
    },
    settings,
  );
}
