import { randomUUID } from 'node:crypto';
import { PutObjectCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cachier, resetDefaults, type CachierOptions, type S3Location } from '../../../runtime/index.js';
import type { BackendTarget } from './targets.js';
import type { CacheCore } from '../../../runtime/core.js';
import { coreFor } from '../../../runtime/backends/load-core.js';
import { canonicalArguments, digestKey, flatKey } from '../../../runtime/keys.js';
import { resolveOptions } from '../../../runtime/options.js';
import { connectMachine, TEST_BUCKET, type Machine } from './machines.mjs';

/** A warning cachier emitted. */
export interface SeenWarning {
  readonly code: string | undefined;
  readonly message: string;
}

/**
 * Per-test helpers of the conformance suites for one backend: machines
 * (closed after each test), warnings seen, unique function ids, and `spec`,
 * a test that skips with the reason when the backend's server is missing or
 * the behaviour does not apply to it.
 */
export function suiteFor(target: BackendTarget) {
  let machines: Machine[] = [];
  const warnings: SeenWarning[] = [];
  const onWarning = (warning: Error & { code?: string }): void => {
    if (warning.name === 'CachierWarning') warnings.push({ code: warning.code, message: warning.message });
  };
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    resetDefaults();
    await Promise.all(machines.map((machine) => machine.close().catch(() => undefined)));
    machines = [];
  });

  return {
    warnings,
    /** A new machine (its own connection) of the backend, at `address` (default: the suite's server). */
    async machine(address = target.address()): Promise<Machine> {
      const machine = await connectMachine(target.backend, address);
      machines.push(machine);
      return machine;
    },
    /** A function id no other test uses. */
    uniqueId: (name: string): string => `${name}-${randomUUID().slice(0, 8)}`,
    /** A test that skips, saying why, when the backend cannot run it. */
    spec(
      name: string,
      body: () => Promise<void>,
      notApplicable?: () => string | undefined | Promise<string | undefined>,
      timeout?: number,
      retries = 0,
    ): void {
      // The bundled s3rver now and then answers InternalError to parallel requests (a fault of the emulator, not of
      // S3; seen on deletes under load): an s3 spec against it runs once more before it fails.
      const retry = Math.max(retries, target.backend === 's3' && !process.env['S3_ENDPOINT'] ? 1 : 0);
      test(name, { timeout, retry }, async (context) => {
        const reason = target.skip ?? (await notApplicable?.());
        if (reason) context.skip(reason);
        await body();
      });
    },
    /** Waits for a warning that `matches` (warnings arrive on a later tick). */
    async expectWarning(matches: (warning: SeenWarning) => boolean): Promise<void> {
      await vi.waitFor(() => expect(warnings.some(matches)).toBe(true));
    },
  };
}

/** A cached async function on `machine` that counts how often its body runs. */
export function counted<T>(machine: Machine, id: string, body: (arg: number) => T | Promise<T>, options: CachierOptions = {}) {
  const calls = { count: 0 };
  const fn = cachier(
    async (arg: number) => {
      calls.count++;
      return body(arg);
    },
    { ...machine.options, id, sourceHash: 'v1', ...options },
  );
  return { fn, calls };
}

/**
 * The core a function of id `id` (source hash `v1`) uses on `machine`, built
 * as the engine builds it, for behaviour the public API does not reach yet
 * (a core's `delete`).
 */
export function coreOn(machine: Machine, id: string): CacheCore {
  const options = resolveOptions({ ...machine.options, id, sourceHash: 'v1' } as CachierOptions, {});
  return coreFor(options, { functionId: id, sourceHash: 'v1' }, { debugEnabled: false, debug: () => undefined, warn: () => undefined });
}

/** The key a core stores the call with `args` under, as the engine computes it. */
export function keyFor(core: CacheCore, args: unknown[]): string {
  const canonical = canonicalArguments(args);
  return core.rawKeys ? flatKey(canonical) : digestKey(canonical);
}

/** A promise and the function that resolves it. */
export function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open = (_value: T): void => undefined;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

// Whether an S3 endpoint refuses a second If-None-Match: * write; asked once per endpoint.
const conditionalAnswers = new Map<string, Promise<boolean>>();

/** Why callers racing on the s3 backend at `address` may both compute, if they may (the endpoint ignores conditional writes). */
export function racyClaimsReason(target: BackendTarget): Promise<string | undefined> {
  if (target.backend !== 's3' || target.skip) return Promise.resolve(undefined);
  const address = target.address();
  let answer = conditionalAnswers.get(address);
  if (!answer) {
    answer = (async () => {
      const machine = await connectMachine('s3', address);
      const client = (machine.options.s3 as S3Location).client as S3Client;
      const Key = `probe/${randomUUID()}`;
      try {
        await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key, Body: 'probe' }));
        await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key, Body: 'probe', IfNoneMatch: '*' }));
        return false;
      } catch {
        return true;
      } finally {
        await client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key })).catch(() => undefined);
        await machine.close();
      }
    })();
    conditionalAnswers.set(address, answer);
  }
  return answer.then((honoured) =>
    honoured
      ? undefined
      : 'this S3 endpoint ignores If-None-Match, so claims are a read then a write and racing callers may both compute (the documented weaker guarantee)',
  );
}
