import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration, type Duration } from '../duration.js';
import { InvalidOptionError } from '../errors.js';
import { parseByteSize, type ByteSize } from '../size.js';
import type { Bounds } from '../core.js';
import { backendNamed, backends } from '../backends/registry.js';
import type { BackendDescriptor } from '../backends/descriptor.js';
import { defaultOf } from './catalog.js';
import { impliedBackend } from './validate.js';
import type {
  Backend,
  CachierDefaults,
  CachierOptions,
  EffectiveDefaults,
  LocalTierBounds,
  ResolvedOptions,
  SharedOptions,
  ShelfLife,
} from './types.js';

/**
 * Merges a function's options over the global defaults and the catalog's
 * built-in values, and turns durations and sizes into numbers.
 *
 * @throws {@link InvalidOptionError} when the backend chosen needs its connection option and none is given.
 */
export function resolveOptions(options: CachierOptions, defaults: CachierDefaults): ResolvedOptions {
  const given = <K extends keyof SharedOptions>(name: K): SharedOptions[K] => (options as SharedOptions)[name] ?? defaults[name];
  const pick = <K extends keyof SharedOptions & keyof typeof BUILT_IN>(name: K): NonNullable<SharedOptions[K]> | (typeof BUILT_IN)[K] =>
    given(name) ?? BUILT_IN[name];
  const backend = (impliedBackend(options) ?? impliedBackend(defaults) ?? defaultOf('backend')) as Backend;
  const descriptor = backendNamed(backend);
  const connections: Record<string, unknown> = {};
  for (const { connection } of backends) {
    if (connection) connections[connection.option] = given(connection.option as keyof SharedOptions);
  }
  if (descriptor?.connection && connections[descriptor.connection.option] === undefined) {
    const { option, hint, driver } = descriptor.connection;
    throw new InvalidOptionError(option, `backend '${backend}' needs the ${option} option: ${hint} (npm install ${driver})`);
  }
  const entrySizeLimit = given('entrySizeLimit');
  const staleAfter = options.staleAfter ?? defaults.staleAfter ?? defaultOf('staleAfter');
  return {
    staleAfterMs: typeof staleAfter === 'function' ? Infinity : parseDuration(staleAfter),
    shelfLife: typeof staleAfter === 'function' ? (staleAfter as ShelfLife<unknown>) : undefined,
    nextTime: pick('nextTime'),
    backend,
    cacheDir: resolve(expandHome(given('cacheDir') ?? defaultCacheDir())),
    reload: pick('reload'),
    separateFiles: pick('separateFiles'),
    shared: pick('shared'),
    waitForCalcTimeoutMs: parseDuration(pick('waitForCalcTimeout')),
    allowUndefined: pick('allowUndefined'),
    allowNonStaticMethods: pick('allowNonStaticMethods'),
    mongetter: given('mongetter'),
    connections,
    entrySizeLimit: entrySizeLimit === undefined ? undefined : parseByteSize(entrySizeLimit, 'entrySizeLimit'),
    bounds: boundsOf(given('maxEntries'), given('maxBytes')),
    leaseMs: parseDuration(pick('lease')),
    backendTimeoutMs: parseDuration(pick('backendTimeout')),
    graceMs: parseDuration(pick('grace')),
    graceBackoffMs: parseDuration(pick('graceBackoff')),
    timeoutMs: optionalDuration(given('timeout')),
    hardTimeoutMs: optionalDuration(given('hardTimeout')),
    strict: pick('strict'),
    cleanupStale: pick('cleanupStale'),
    cleanupIntervalMs: parseDuration(pick('cleanupInterval')),
    metrics: pick('metrics'),
    metricsSamplingRate: pick('metricsSamplingRate'),
    hash: (options.hash as ResolvedOptions['hash']) ?? defaults.hash,
    local: localTierOf(options.local, defaults.local, backend, descriptor?.loadInvalidation !== undefined),
    clock: defaults.clock ?? defaultOf('clock'),
  };
}

/** The bounds of a function's cache, `undefined` when it has none. */
function boundsOf(maxEntries: number | undefined, maxBytes: ByteSize | undefined): Bounds | undefined {
  if (maxEntries === undefined && maxBytes === undefined) return undefined;
  return {
    ...(maxEntries !== undefined && { maxEntries }),
    ...(maxBytes !== undefined && { maxBytes: parseByteSize(maxBytes, 'maxBytes') }),
  };
}

/** The built-in value of every setting of `setDefaults` that has one, from the catalog. */
const BUILT_IN = {
  staleAfter: defaultOf('staleAfter'),
  nextTime: defaultOf('nextTime'),
  backend: defaultOf('backend'),
  reload: defaultOf('reload'),
  separateFiles: defaultOf('separateFiles'),
  waitForCalcTimeout: defaultOf('waitForCalcTimeout'),
  allowUndefined: defaultOf('allowUndefined'),
  allowNonStaticMethods: defaultOf('allowNonStaticMethods'),
  lease: defaultOf('lease'),
  backendTimeout: defaultOf('backendTimeout'),
  grace: defaultOf('grace'),
  graceBackoff: defaultOf('graceBackoff'),
  strict: defaultOf('strict'),
  cleanupStale: defaultOf('cleanupStale'),
  cleanupInterval: defaultOf('cleanupInterval'),
  metrics: defaultOf('metrics'),
  metricsSamplingRate: defaultOf('metricsSamplingRate'),
  shared: defaultOf('shared'),
  local: defaultOf('local'),
  clock: defaultOf('clock'),
};

/** A local tier holds this many copies at most unless `local` says otherwise. */
const LOCAL_MAX_ENTRIES = 10_000;
/** ...and this many bytes of serialized values. */
const LOCAL_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The bounds of the local tier, or `undefined` for none. Given to the function
 * itself on a backend of this machine, `local` is refused; set as a default,
 * it applies to the functions on shared backends only.
 */
function localTierOf(
  own: SharedOptions['local'],
  byDefault: SharedOptions['local'],
  backend: Backend,
  shared: boolean,
): LocalTierBounds | undefined {
  if (own && !shared) {
    const sharedBackends = (backends as readonly BackendDescriptor[]).filter((b) => b.loadInvalidation).map((b) => b.name);
    throw new InvalidOptionError(
      'local',
      `backend '${backend}' keeps its entries on this machine already, so a local tier would only duplicate them; ` +
        `local applies to the shared backends (${sharedBackends.join(', ')}): remove it or choose one of them`,
    );
  }
  const local = own ?? byDefault;
  if (!local || !shared) return undefined;
  const bounds = local === true ? {} : local;
  return {
    maxEntries: bounds.maxEntries ?? LOCAL_MAX_ENTRIES,
    maxBytes: bounds.maxBytes === undefined ? LOCAL_MAX_BYTES : parseByteSize(bounds.maxBytes, 'local.maxBytes'),
  };
}

function optionalDuration(duration: Duration | undefined): number | undefined {
  return duration === undefined ? undefined : parseDuration(duration);
}

/** `$CACHIER_DIR`, else `~/.cachier`. */
function defaultCacheDir(): string {
  return process.env['CACHIER_DIR'] || join(homedir(), '.cachier');
}

/** A leading `~` (alone or before a separator) is the user's home folder, as in a shell. */
function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') || path.startsWith('~\\') ? join(homedir(), path.slice(1)) : path;
}

/** The defaults in force: what was set with `setDefaults`, over the built-in values. */
export function effectiveDefaults(defaults: CachierDefaults): EffectiveDefaults {
  const given = Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined));
  return { ...BUILT_IN, cacheDir: resolve(expandHome(defaultCacheDir())), ...given } as EffectiveDefaults;
}
