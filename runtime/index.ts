/**
 * cachier: persistent, stale-free memoization for TypeScript.
 * @packageDocumentation
 */
export { cachier, cacheOf, type CacheControls, type CachedFunction } from './cachier.js';
export { moduleCaches, type ModuleCaches } from './module-caches.js';
export type { CacheInfo, CallOptions } from './engine/index.js';
export type { BackendState, LatencySummary, MetricsExport, MetricsSnapshot } from './metrics.js';
export type {
  AnyFunction,
  Backend,
  CachierDefaults,
  CachierOptions,
  EffectiveDefaults,
  Mongetter,
  SharedOptions,
  ShelfLife,
} from './options.js';
export type { MongoCollection } from './backends/mongo/collection.js';
export type { RedisClient, RedisOption } from './backends/redis/client.js';
export type { PostgresPool, PostgresOption } from './backends/postgres/pool.js';
export type { S3Location, S3Option } from './backends/s3/location.js';
export { setDefaults, getDefaults, resetDefaults, enableCaching, disableCaching, isCachingEnabled } from './config.js';
export { cachierKey } from './keys.js';
export {
  cachierChannels,
  type CachierBackendError,
  type CachierCallEvent,
  type CachierComputationFailed,
  type CachierComputationFinished,
  type CachierComputationStarted,
  type CachierEvent,
  type CachierEviction,
  type CachierHit,
  type CachierMiss,
  type CachierStaleHit,
  type CachierWait,
} from './events.js';
export type { WarningCode } from './warnings.js';
export { parseDuration, type Duration } from './duration.js';
export type { ByteSize } from './size.js';
// Every error class users can catch: CachierError and its subclasses.
export * from './errors.js';
