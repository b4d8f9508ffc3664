import type { S3Location } from './location.js';

/**
 * The s3 backend's object layout, for prefix P (default `cachier/`),
 * function id F and source hash H (both URI-encoded) and key K:
 *
 * ```
 * P F/H/e/K   entry: the node:v8 value as the body, computedAt in metadata x-amz-meta-computed-at
 * P F/H/c/K   claim: the owner's token as the body; owner and lease end (epoch ms) in metadata
 * P F/H/g     generation: a random token rewritten by every change of a process with a local tier
 * P F/H/u/K   bounded caches only: written when the entry is hit, its LastModified the entry's last use
 * ```
 */

/** The prefix every object of the backend is under. */
export function prefixOf(location: S3Location): string {
  return location.prefix ?? 'cachier/';
}

/** The prefix of one function's objects, every source hash. */
export const functionRoot = (location: S3Location, functionId: string): string => `${prefixOf(location)}${encodeURIComponent(functionId)}/`;

/** The prefix of one function's source hash. */
export const versionRoot = (location: S3Location, functionId: string, sourceHash: string): string =>
  `${functionRoot(location, functionId)}${encodeURIComponent(sourceHash)}/`;

/** The entry object of `key` under a {@link versionRoot}. */
export const entryObject = (version: string, key: string): string => `${version}e/${key}`;

/** The claim object of `key` under a {@link versionRoot}. */
export const claimObject = (version: string, key: string): string => `${version}c/${key}`;

/** The generation object of the local tiers (the `local` option) under a {@link versionRoot}. */
export const generationObject = (version: string): string => `${version}g`;

/** The use object of `key` under a {@link versionRoot}: its LastModified is when a bounded cache last hit the entry. */
export const useObject = (version: string, key: string): string => `${version}u/${key}`;

/** Whether an object name is a claim's. */
export const isClaimObject = (name: string): boolean => /\/c\/[^/]+$/.test(name);

/** What an object name under `prefix` names, or `undefined` for one not in the layout (the conditional-write probe, a stranger's object). */
export function parseObjectName(
  prefix: string,
  name: string,
): { functionId: string; sourceHash: string; kind: 'entry' | 'claim'; key: string } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const parts = name.slice(prefix.length).split('/');
  if (parts.length !== 4 || (parts[2] !== 'e' && parts[2] !== 'c')) return undefined;
  try {
    return {
      functionId: decodeURIComponent(parts[0] ?? ''),
      sourceHash: decodeURIComponent(parts[1] ?? ''),
      kind: parts[2] === 'e' ? 'entry' : 'claim',
      key: parts[3] ?? '',
    };
  } catch {
    return undefined;
  }
}
