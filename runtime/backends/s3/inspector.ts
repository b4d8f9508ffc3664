import { lazyClient } from '../shared/connection.js';
import { loadPeer, type AddressDetails, type CacheInspector, type InspectorOptions } from '../shared/inspection.js';
import { recordInspector, type StoredRecord } from '../shared/record-inspector.js';
import { decodeEntry } from './core.js';
import { claimObject, entryObject, functionRoot, parseObjectName, prefixOf, versionRoot } from './layout.js';
import { asS3Location, type S3Location } from './location.js';
import { readBody, unlessMissing } from './objects.js';

type Sdk = typeof import('@aws-sdk/client-s3');
type HeadOutput = import('@aws-sdk/client-s3').HeadObjectCommandOutput;
type GetOutput = import('@aws-sdk/client-s3').GetObjectCommandOutput;
type ListOutput = import('@aws-sdk/client-s3').ListObjectsV2CommandOutput;

interface S3Record extends StoredRecord {
  readonly entryName: string;
  readonly claimName: string;
  /** The entry object's ETag when listed, so a removal takes exactly what was judged. */
  readonly etag: string | undefined;
}

/** Objects whose metadata is read at once. */
const PARALLEL = 16;

/** Runs `task` on every item, {@link PARALLEL} at a time. */
async function eachInTurn<T, U>(items: readonly T[], task: (item: T) => Promise<U>): Promise<U[]> {
  const results: U[] = [];
  for (let start = 0; start < items.length; start += PARALLEL)
    results.push(...(await Promise.all(items.slice(start, start + PARALLEL).map(task))));
  return results;
}

/**
 * The s3 backend's inspector: lists the objects of the layout in `layout.ts`
 * and reads each one's metadata (an entry's `computed-at`, a claim's owner
 * and lease end). Objects carry no policy, so stale entries are counted and
 * pruned only with `--stale-after`. Removals look at the object again first;
 * without conditional deletes on every S3-compatible server, an entry
 * rewritten in the instant between that look and the delete can still go
 * (the next call recomputes it).
 */
export async function openInspector(options: InspectorOptions): Promise<CacheInspector> {
  const [sdk, location] = await Promise.all([loadPeer<Sdk>('@aws-sdk/client-s3', 's3'), lazyClient(options['s3'], asS3Location)()]);
  const { client, bucket } = location;
  const prefix = prefixOf(location);

  const head = (name: string) =>
    unlessMissing(client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: name })) as Promise<HeadOutput>);
  const remove = async (name: string): Promise<boolean> => {
    await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: name }));
    return true;
  };

  async function listNames(under: string): Promise<string[]> {
    const names: string[] = [];
    let continuation: string | undefined;
    do {
      const page = (await client.send(
        new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: under, ContinuationToken: continuation }),
      )) as ListOutput;
      for (const object of page.Contents ?? []) if (object.Key) names.push(object.Key);
      continuation = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuation);
    return names;
  }

  async function list(): Promise<S3Record[]> {
    const objects = (await listNames(prefix)).flatMap((name) => {
      const parsed = parseObjectName(prefix, name);
      return parsed ? [{ name, ...parsed }] : [];
    });
    const heads = await eachInTurn(objects, async (object) => ({ object, head: await head(object.name) }));
    const records = new Map<string, S3Record>();
    for (const { object, head: found } of heads) {
      if (!found) continue;
      const version = versionRoot(location, object.functionId, object.sourceHash);
      const id = `${version}${object.key}`;
      const record: S3Record = records.get(id) ?? {
        functionId: object.functionId,
        sourceHash: object.sourceHash,
        key: object.key,
        hasEntry: false,
        bytes: 0,
        computedAt: null,
        mark: undefined,
        entryName: entryObject(version, object.key),
        claimName: claimObject(version, object.key),
        etag: undefined,
      };
      if (object.kind === 'entry') {
        const computedAt = Number(found.Metadata?.['computed-at']);
        records.set(id, {
          ...record,
          hasEntry: true,
          bytes: found.ContentLength ?? 0,
          computedAt: Number.isFinite(computedAt) ? computedAt : null,
          etag: found.ETag,
        });
      } else {
        records.set(id, {
          ...record,
          mark: { owner: found.Metadata?.['owner'] ?? '', leaseEnd: Number(found.Metadata?.['lease-until'] ?? 0) },
        });
      }
    }
    return [...records.values()];
  }

  async function problemOf(record: S3Record): Promise<string | undefined> {
    const object = await unlessMissing(
      client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: record.entryName })) as Promise<GetOutput>,
    );
    if (!object?.Body) return undefined;
    const bytes = await readBody(object.Body, object.ContentLength);
    return decodeEntry(bytes, Number(object.Metadata?.['computed-at'])) === 'unreadable'
      ? 'its value or its computed-at cannot be read'
      : undefined;
  }

  // One DeleteObject after another, as the core clears: S3-compatible servers (s3rver) fail deletes sent at once in one folder.
  const removeAll = async (names: readonly string[]): Promise<boolean> => {
    for (const name of names) await remove(name);
    return names.length > 0;
  };

  return recordInspector<S3Record>({
    backend: 's3',
    description: `s3 s3://${bucket}/${prefix}`,
    locationOf: (functionId, sourceHash) =>
      `s3://${bucket}/${sourceHash === undefined ? functionRoot(location, functionId) : versionRoot(location, functionId, sourceHash)}`,
    targetOf: (record) => `s3://${bucket}/${record.entryName}`,
    list,
    clearEntries: async (functionId) =>
      removeAll((await listNames(functionRoot(location, functionId))).filter((name) => parseObjectName(prefix, name)?.kind === 'entry')),
    dropVersion: async (functionId, sourceHash) => removeAll(await listNames(versionRoot(location, functionId, sourceHash))),
    async dropStaleEntry(record, cutoff) {
      const [entry, claim] = await Promise.all([head(record.entryName), head(record.claimName)]);
      const computedAt = Number(entry?.Metadata?.['computed-at']);
      const recomputing = claim !== undefined && Number(claim.Metadata?.['lease-until'] ?? 0) > Date.now();
      if (!entry || recomputing || !(computedAt < cutoff)) return false;
      return remove(record.entryName);
    },
    async dropExpiredMark(record) {
      const claim = await head(record.claimName);
      if (!claim || claim.Metadata?.['owner'] !== record.mark?.owner || Number(claim.Metadata?.['lease-until'] ?? 0) > Date.now())
        return false;
      return remove(record.claimName);
    },
    problemOf,
    async dropUnreadable(record) {
      const entry = await head(record.entryName);
      if (!entry || entry.ETag !== record.etag || (await problemOf(record)) === undefined) return false;
      return remove(record.entryName);
    },
    // The command owns its process: the client it was handed is destroyed, so it exits promptly.
    close: async () => (client as S3Location['client'] & { destroy?: () => void }).destroy?.(),
  });
}

/** Options reaching `bucket[/prefix]` (`--s3`, with `--s3-endpoint` for S3-compatible servers) through the AWS SDK, an optional peer. */
export async function optionsForAddress(address: string, details: AddressDetails): Promise<InspectorOptions> {
  const sdk = await loadPeer<Sdk>('@aws-sdk/client-s3', 's3');
  const slash = address.indexOf('/');
  const bucket = slash < 0 ? address : address.slice(0, slash);
  const rest = slash < 0 ? '' : address.slice(slash + 1);
  const client = new sdk.S3Client({
    ...(details.endpoint ? { endpoint: details.endpoint, forcePathStyle: true } : {}),
    region: process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    maxAttempts: 2,
  });
  const location: S3Location = { client, bucket, ...(rest ? { prefix: rest.endsWith('/') ? rest : `${rest}/` } : {}) };
  return { backend: 's3', s3: location };
}
