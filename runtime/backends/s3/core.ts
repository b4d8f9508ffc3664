import { randomUUID } from 'node:crypto';
import type { CacheCore, ClaimResult, CoreSettings, StoredEntry } from '../../core.js';
import { deserializeValue, serializeValue } from '../../serialization.js';
import { newClaimToken } from '../shared/claims.js';
import { lazyClient, oncePerProcess, runOperation } from '../shared/connection.js';
import { readableEntry } from '../shared/entries.js';
import { waitWhileMarked, type MarkState } from '../shared/waiting.js';
import { importOptionalPeer } from '../shared/optional-peer.js';
import { BoundsTally, EVICT_DOWN_TO, RECENCY_RESOLUTION_MS, bytesOf, victimsOf } from '../shared/bounds.js';
import { claimObject, entryObject, useObject, functionRoot, isClaimObject, prefixOf, versionRoot } from './layout.js';
import { asS3Location, type S3Location } from './location.js';
import { isConditionLost, readBody, statusOf, supportsConditionalWrites, unlessMissing } from './objects.js';

type Sdk = typeof import('@aws-sdk/client-s3');
type GetOutput = import('@aws-sdk/client-s3').GetObjectCommandOutput;
type HeadOutput = import('@aws-sdk/client-s3').HeadObjectCommandOutput;
type PutOutput = import('@aws-sdk/client-s3').PutObjectCommandOutput;
type ListOutput = import('@aws-sdk/client-s3').ListObjectsV2CommandOutput;

/** How long objects of another source hash are kept after they were last written. */
const OTHER_VERSIONS_KEPT_MS = 24 * 60 * 60 * 1000;

const HINT =
  'Check that the endpoint is reachable, the bucket exists and the credentials may read, write, list and delete under the prefix; ' +
  'give the S3Client a requestHandler with connectionTimeout and requestTimeout so that an unreachable endpoint fails fast';

interface Connected {
  readonly sdk: Sdk;
  readonly location: S3Location;
  readonly conditional: boolean;
}

/** The body of use objects (see `layout.ts`): any small body will do. */
const USE_BODY = Buffer.from('used');

/** The body of probe objects. An empty body would make the SDK warn about a stream of unknown length. */
const PROBE_BODY = Buffer.from('cachier probe');

let sdkLoading: Promise<Sdk> | undefined;

/**
 * The `s3` backend: one object per entry, with the claim a second object
 * beside it. Layout (see `layout.ts`), for prefix P (default `cachier/`),
 * function id F and source hash H (both URI-encoded) and key K:
 *
 * ```
 * P F/H/e/K   entry: the node:v8 value as the body, computedAt in metadata x-amz-meta-computed-at
 * P F/H/c/K   claim: the owner's token as the body; owner and lease end (epoch ms) in metadata
 * P F/H/u/K   bounded caches only: written on a hit, its LastModified the entry's last use
 * ```
 *
 * Claims are conditional writes (`If-None-Match: *`, taking over a dead
 * owner's claim with `If-Match`) where the endpoint honours them, found out
 * once per process with a probe object; elsewhere a claim is a read then a
 * write, so two callers starting within one round trip may both compute.
 * Round trips: a hit is one GET; a miss is a GET, a conditional PUT (the
 * claim), a PUT of the entry and a DELETE of the claim. Serves async
 * functions only.
 *
 * A bounded cache (`maxEntries`, `maxBytes`) takes an entry's last use from
 * the later LastModified of its entry object and its use object, which a
 * hit writes (one small PUT, at most once a second per key and process;
 * rewriting the entry itself could put an older value over a newer one).
 * A store lists the version's entries, claims and uses and evicts when this
 * process's tally says the cache may be over a bound (see `shared/bounds.ts`).
 */
export function createS3Core(settings: CoreSettings): CacheCore {
  const { functionId, sourceHash, leaseMs, log } = settings;
  const location = lazyClient(settings.connection, asS3Location);
  // The probe runs once per client and bucket, with the signal of the operation that waits for it.
  const connect = lazyClient(
    async (signal?: AbortSignal): Promise<Connected> => {
      sdkLoading ??= importOptionalPeer<Sdk>('@aws-sdk/client-s3', 'the s3 backend');
      const [sdk, target] = await Promise.all([sdkLoading, location()]);
      const probeKey = `${prefixOf(target)}.cachier-probe/${randomUUID()}`;
      const conditional = await supportsConditionalWrites(
        target.client,
        target.bucket,
        (ifNoneMatch) =>
          target.client.send(
            new sdk.PutObjectCommand({ Bucket: target.bucket, Key: probeKey, Body: PROBE_BODY, IfNoneMatch: ifNoneMatch }),
            { abortSignal: signal },
          ),
        () => target.client.send(new sdk.DeleteObjectCommand({ Bucket: target.bucket, Key: probeKey }), { abortSignal: signal }),
      );
      if (!conditional) log.debug(`the S3 endpoint ignores If-None-Match: claims are a read then a write, and may race`);
      return { sdk, location: target, conditional };
    },
    (value) => value as Connected,
  );

  const root = (target: S3Location) => functionRoot(target, functionId);
  const version = (target: S3Location) => versionRoot(target, functionId, sourceHash);
  const entryName = (target: S3Location, key: string) => entryObject(version(target), key);
  const claimName = (target: S3Location, key: string) => claimObject(version(target), key);
  // The ETag of each claim this process holds, to release or renew exactly that claim.
  const claims = new Map<string, string>();

  /** Runs one operation; its requests are cancelled when `signal` aborts (cachier's deadline passed). */
  const run = <T>(what: string, operation: (connected: Connected) => Promise<T>, signal?: AbortSignal): Promise<T> =>
    runOperation('S3', what, HINT, async () => operation(abortable(await connect(signal), signal)));

  /** The entry stored under object `name` (`undefined` for none, `'unreadable'` for one that does not decode) and when it was written. */
  const fetchObject = async ({ sdk, location: target }: Connected, name: string) => {
    const object = await unlessMissing(
      target.client.send(new sdk.GetObjectCommand({ Bucket: target.bucket, Key: name })) as Promise<GetOutput>,
    );
    if (!object?.Body) return { entry: undefined, lastModified: 0 };
    const bytes = await readBody(object.Body, object.ContentLength);
    return { entry: decodeEntry(bytes, Number(object.Metadata?.['computed-at'])), lastModified: object.LastModified?.getTime() ?? 0 };
  };

  const fetchEntry = async (connected: Connected, name: string): Promise<StoredEntry | undefined | 'unreadable'> =>
    (await fetchObject(connected, name)).entry;

  const { bounds } = settings;
  const tally = bounds && new BoundsTally(bounds);

  // When this process last wrote each key's use object.
  const usesWritten = new Map<string, number>();
  const readEntry = async (connected: Connected, key: string): Promise<StoredEntry | undefined> => {
    const { entry, lastModified } = await fetchObject(connected, entryName(connected.location, key));
    const readable = readableEntry(entry, 'S3', log);
    const now = Date.now();
    if (bounds && readable && now - Math.max(lastModified, usesWritten.get(key) ?? 0) > RECENCY_RESOLUTION_MS) {
      const { sdk, location: target } = connected;
      await target.client.send(new sdk.PutObjectCommand({ Bucket: target.bucket, Key: useObject(version(target), key), Body: USE_BODY }));
      usesWritten.set(key, now);
    }
    return readable;
  };

  /**
   * Lists the version's entries, claims and uses, and evicts the least
   * recently used entries (with their use objects) down to
   * {@link EVICT_DOWN_TO} of the bounds, sparing `key` and keys whose claim
   * is live (written within a lease: a renewal rewrites it).
   */
  const evictBeyondBounds = async (connected: Connected, key: string): Promise<number> => {
    if (!bounds || !tally) return 0;
    tally.lookStarting();
    const root = version(connected.location);
    const [claims, entries, uses] = ['c/', 'e/', 'u/'].map((kind) => `${root}${kind}`) as [string, string, string];
    const now = Date.now();
    const claimed = new Set(
      (await list(connected, claims)).filter((claim) => claim.lastModified + leaseMs > now).map((claim) => claim.name.slice(claims.length)),
    );
    const used = new Map((await list(connected, uses)).map((use) => [use.name.slice(uses.length), use.lastModified]));
    const candidates = (await list(connected, entries)).map((object) => {
      const objectKey = object.name.slice(entries.length);
      const usedAt = Math.max(object.lastModified, used.get(objectKey) ?? 0);
      return { name: objectKey, usedAt, bytes: object.size, keep: objectKey === key || claimed.has(objectKey) };
    });
    const victims = victimsOf(candidates, bounds, EVICT_DOWN_TO);
    const objectsOf = (name: string): string[] => [entryObject(root, name), ...(used.has(name) ? [useObject(root, name)] : [])];
    await deleteAll(
      connected,
      victims.flatMap((victim) => objectsOf(victim.name)),
    );
    tally.looked(candidates.length - victims.length, bytesOf(candidates) - bytesOf(victims));
    return victims.length;
  };

  const headClaim = async ({ sdk, location: target }: Connected, key: string) => {
    const head = await unlessMissing(
      target.client.send(new sdk.HeadObjectCommand({ Bucket: target.bucket, Key: claimName(target, key) })) as Promise<HeadOutput>,
    );
    if (!head) return undefined;
    return { owner: head.Metadata?.['owner'], leaseUntil: Number(head.Metadata?.['lease-until'] ?? 0), etag: head.ETag };
  };

  const putClaim = async (
    { sdk, location: target }: Connected,
    key: string,
    token: string,
    condition: { IfNoneMatch?: string; IfMatch?: string },
  ) => {
    const written = (await target.client.send(
      new sdk.PutObjectCommand({
        Bucket: target.bucket,
        Key: claimName(target, key),
        Body: Buffer.from(token),
        Metadata: { owner: token, 'lease-until': String(Date.now() + leaseMs) },
        ...condition,
      }),
    )) as PutOutput;
    if (written.ETag) claims.set(token, written.ETag);
  };

  /** Deletes the claim on `key` if `token` still owns it. */
  const dropClaim = async (connected: Connected, key: string, token: string): Promise<void> => {
    const { sdk, location: target } = connected;
    const etag = claims.get(token);
    claims.delete(token);
    const remove = (condition: { IfMatch?: string }) =>
      target.client.send(new sdk.DeleteObjectCommand({ Bucket: target.bucket, Key: claimName(target, key), ...condition }));
    const removeIfOwned = async () => {
      if ((await headClaim(connected, key))?.owner === token) await remove({});
    };
    if (!connected.conditional || etag === undefined) return removeIfOwned();
    try {
      await remove({ IfMatch: etag });
    } catch (error) {
      if (isConditionLost(error)) return;
      // Endpoints with conditional writes but without conditional deletes answer 501.
      if (statusOf(error) !== 501) throw error;
      await removeIfOwned();
    }
  };

  const claim = async (connected: Connected, key: string): Promise<ClaimResult> => {
    const token = newClaimToken();
    if (!connected.conditional) {
      const current = await headClaim(connected, key);
      if (current && current.leaseUntil > Date.now()) return { claimed: false };
      await putClaim(connected, key, token, {});
      return { claimed: true, token };
    }
    try {
      await putClaim(connected, key, token, { IfNoneMatch: '*' });
      return { claimed: true, token };
    } catch (error) {
      if (!isConditionLost(error)) throw error;
    }
    // A claim exists: take it over only if its owner's lease ran out, and only if nobody else did first.
    const current = await headClaim(connected, key);
    if (!current || current.leaseUntil > Date.now() || !current.etag) return { claimed: false };
    try {
      await putClaim(connected, key, token, { IfMatch: current.etag });
      return { claimed: true, token };
    } catch (error) {
      if (isConditionLost(error)) return { claimed: false };
      throw error;
    }
  };

  const list = async ({ sdk, location: target }: Connected, prefix: string) => {
    const objects: Array<{ name: string; lastModified: number; size: number }> = [];
    let continuation: string | undefined;
    do {
      const page = (await target.client.send(
        new sdk.ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, ContinuationToken: continuation }),
      )) as ListOutput;
      for (const object of page.Contents ?? []) {
        if (object.Key) objects.push({ name: object.Key, lastModified: object.LastModified?.getTime() ?? 0, size: object.Size ?? 0 });
      }
      continuation = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuation);
    return objects;
  };

  // One DeleteObject per object, in turn: DeleteObjects needs a checksum
  // header some S3-compatible servers mishandle, and clearing is rare.
  const deleteAll = async ({ sdk, location: target }: Connected, names: string[]) => {
    for (const name of names) await target.client.send(new sdk.DeleteObjectCommand({ Bucket: target.bucket, Key: name }));
  };

  // Objects of another source hash are never read. So that they do not pile
  // up, the first store of each process deletes those not written for a day.
  const dropOlderSourceHashes = oncePerProcess(
    async (connected: Connected) => {
      const own = version(connected.location);
      const old = (await list(connected, root(connected.location))).filter(
        (object) => !object.name.startsWith(own) && object.lastModified < Date.now() - OTHER_VERSIONS_KEPT_MS,
      );
      await deleteAll(
        connected,
        old.map((object) => object.name),
      );
    },
    (error) => log.debug(`could not delete objects of older source hashes: ${String(error)}`),
  );

  return {
    backend: 's3',
    sync: undefined,
    get: (key, signal) => run('read', (connected) => readEntry(connected, key), signal),
    claim: (key, signal) => run('claim', (connected) => claim(connected, key), signal),
    renew: (key, token, signal) =>
      run(
        'renew a lease',
        async (connected) => {
          const etag = claims.get(token);
          if (connected.conditional && etag !== undefined) {
            await putClaim(connected, key, token, { IfMatch: etag }).catch((error: unknown) => {
              if (!isConditionLost(error)) throw error;
            });
            return;
          }
          if ((await headClaim(connected, key))?.owner === token) await putClaim(connected, key, token, {});
        },
        signal,
      ),
    async store(key, entry, token, signal) {
      const bytes = serializeValue(entry.value, settings.entrySizeLimit);
      return run(
        'write',
        async (connected) => {
          const { sdk, location: target } = connected;
          await target.client.send(
            new sdk.PutObjectCommand({
              Bucket: target.bucket,
              Key: entryName(target, key),
              Body: bytes,
              ContentLength: bytes.length,
              ContentType: 'application/octet-stream',
              Metadata: { 'computed-at': String(entry.computedAt) },
            }),
          );
          if (token !== undefined) await dropClaim(connected, key, token);
          await dropOlderSourceHashes(connected);
          return tally?.stored(bytes.length) ? evictBeyondBounds(connected, key) : 0;
        },
        signal,
      );
    },
    release: (key, token, signal) => run('release a mark', (connected) => dropClaim(connected, key, token), signal),
    waitForEntry: (key, options) =>
      run('wait', (connected) =>
        waitWhileMarked(options, async (): Promise<MarkState> => {
          const current = await headClaim(connected, key);
          const leaseLeftMs = current ? current.leaseUntil - Date.now() : 0;
          return leaseLeftMs > 0 ? { leaseLeftMs } : { leaseLeftMs: 0, entry: await readEntry(connected, key) };
        }),
      ),
    clear: () =>
      run('clear', async (connected) => {
        await deleteAll(
          connected,
          (await list(connected, root(connected.location))).map((object) => object.name),
        );
        tally?.forget();
      }),
    clearBeingCalculated: () =>
      run('clear marks', async (connected) => {
        const all = await list(connected, root(connected.location));
        await deleteAll(connected, all.map((object) => object.name).filter(isClaimObject));
      }),
    count: () => run('count', async (connected) => (await list(connected, `${version(connected.location)}e/`)).length),
    // S3 does not tell whether a DeleteObject removed anything: a HEAD first answers it.
    delete: (key) =>
      run('delete', async (connected) => {
        const { sdk, location: target } = connected;
        const name = entryName(target, key);
        const head = await unlessMissing(
          target.client.send(new sdk.HeadObjectCommand({ Bucket: target.bucket, Key: name })) as Promise<HeadOutput>,
        );
        if (!head) return false;
        await target.client.send(new sdk.DeleteObjectCommand({ Bucket: target.bucket, Key: name }));
        if (bounds) await target.client.send(new sdk.DeleteObjectCommand({ Bucket: target.bucket, Key: useObject(version(target), key) }));
        return true;
      }),
    totalBytes: () =>
      run('measure', async (connected) =>
        (await list(connected, `${version(connected.location)}e/`)).reduce((total, object) => total + object.size, 0),
      ),
    // Reads every entry of this version (a cleanup, once per cleanupInterval): staleness may depend on the value.
    deleteStale: (isStale) =>
      run('delete stale entries', async (connected) => {
        const stale: string[] = [];
        for (const { name } of await list(connected, `${version(connected.location)}e/`)) {
          const entry = await fetchEntry(connected, name);
          if (entry === 'unreadable' || (entry !== undefined && isStale(entry))) stale.push(name);
        }
        await deleteAll(connected, stale);
        return stale.length;
      }),
  };
}

/** The entry an object's bytes and computed-at metadata hold, or `'unreadable'`. */
export function decodeEntry(bytes: Uint8Array, computedAt: number): StoredEntry | 'unreadable' {
  if (!Number.isFinite(computedAt)) return 'unreadable';
  try {
    return { value: deserializeValue(bytes), computedAt };
  } catch {
    return 'unreadable';
  }
}

/** `connected` with a client whose requests carry `signal`, so that they are cancelled when it aborts. */
function abortable(connected: Connected, signal: AbortSignal | undefined): Connected {
  if (!signal) return connected;
  const { client } = connected.location;
  return {
    ...connected,
    location: { ...connected.location, client: { send: (command) => client.send(command, { abortSignal: signal }) } },
  };
}
