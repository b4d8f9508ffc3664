import { lazyClient } from '../shared/connection.js';
import { generationChannel, type InvalidationChannel, type InvalidationSettings } from '../shared/invalidation.js';
import { asMongoCollection, ensureIndexes } from './collection.js';

/**
 * The MongoDB invalidation channel of one function: a generation document in
 * the cache's collection, `{ functionId: { generationOf: F }, sourceHash: H,
 * key: null, token }`, rewritten by every change and read at most once per
 * `GENERATION_CHECK_MS`. Its `functionId` is not a string, so counts, clears
 * and the `cachier` command, which look for string ids, never see it.
 */
export function createInvalidationChannel(settings: InvalidationSettings): InvalidationChannel {
  const collection = lazyClient(settings.connection, asMongoCollection);
  const ready = async () => {
    const resolved = await collection();
    await ensureIndexes(resolved);
    return resolved;
  };
  const filter = { functionId: { generationOf: settings.functionId }, sourceHash: settings.sourceHash, key: null };
  return generationChannel(
    {
      async read() {
        const document = (await (await ready()).findOne(filter, { projection: { _id: 0, token: 1 } })) as { token?: unknown } | null;
        return typeof document?.token === 'string' ? document.token : undefined;
      },
      async write(token) {
        await (await ready()).updateOne(filter, { $set: { token } }, { upsert: true });
      },
    },
    settings,
  );
}
