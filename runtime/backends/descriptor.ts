import type { CoreFactory } from '../core.js';
import type { InspectorModule } from './shared/inspection.js';
import type { InvalidationFactory } from './shared/invalidation.js';

/**
 * How a backend is reached: the option holding its client, pool, bucket or
 * collection getter, named like the backend (mongo keeps Python's `mongetter`).
 */
export interface ConnectionOption {
  /** The option's name in `cachier()`, `setDefaults()` and the tag. */
  readonly option: string;
  /**
   * What the option may hold: `'function'` (a function returning the
   * connection, as `mongetter`) or `'client'` (the client itself, or a
   * function returning it or a promise of it).
   */
  readonly holds: 'function' | 'client';
  /** How to give it, shown when it is missing: `an ioredis client, e.g. redis: new Redis(process.env.REDIS_URL)`. */
  readonly hint: string;
  /** The npm package of the driver the user installs (an optional peer dependency of cachier), named in that message. */
  readonly driver: string;
}

/**
 * Everything the rest of cachier knows about one backend: option validation,
 * the engine, the tag grammar and the `cachier` command read it from the
 * {@link backends} registry, and nothing else names a backend. A descriptor
 * loads no core and no driver, so that validating options, reading tags or
 * running the command costs no backend code: a server backend's core is
 * imported on first use.
 *
 * Adding a backend is one folder `runtime/backends/<name>/` (its core,
 * descriptor and inspector) and one line in `registry.ts`, plus the type of
 * its connection option in `SharedOptions` (`runtime/options/types.ts`).
 */
export interface BackendDescriptor {
  /** The value of the `backend` option. */
  readonly name: string;
  /** Whether it serves synchronous functions; a backend whose driver is asynchronous serves async functions only. */
  readonly servesSync: boolean;
  /** The option naming its connection, required when the backend is chosen; absent for backends on this machine. */
  readonly connection: ConnectionOption | undefined;
  /** Options that apply to this backend only (refused with any other backend), e.g. the file backend's `cacheDir`. */
  readonly ownOptions: readonly string[];
  /**
   * Imports its core factory, on first use. Absent for the backends that
   * serve synchronous functions: a synchronous call cannot wait for an
   * import, so their cores are imported with the engine (`sync-cores.ts`),
   * never by reading this registry.
   */
  readonly loadCore?: () => Promise<CoreFactory>;
  /**
   * Its inspector (list, sizes, plan clear/prune/verify on its own layout,
   * codec and claim format), loaded only when the `cachier` command needs
   * this backend (a server backend's inspector loads its driver). Absent for
   * a backend that keeps nothing the command can reach (memory).
   */
  readonly loadInspector?: () => Promise<InspectorModule>;
  /**
   * Its invalidation channel, which keeps the local tiers (the `local`
   * option) of several processes consistent; loaded on first use. Absent for
   * the backends of this machine (memory, file), which refuse `local`.
   */
  readonly loadInvalidation?: () => Promise<InvalidationFactory>;
}
