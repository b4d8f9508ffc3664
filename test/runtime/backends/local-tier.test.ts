import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { cachier, InvalidOptionError, resetDefaults, setDefaults } from '../../../runtime/index.js';
import { GENERATION_CHECK_MS } from '../../../runtime/backends/shared/invalidation.js';
import { connectMachine } from '../../support/backends/machines.mjs';
import { backendTargets, type BackendTarget } from '../../support/backends/targets.js';

// The local tier (option `local`): hits served from this process's memory,
// kept consistent with other processes by each backend's invalidation
// channel. Real servers, and real child processes for the other machine.

const WORKER = fileURLToPath(new URL('../../support/backends/local-tier-worker.mjs', import.meta.url));

/** How long after another process's change returned this one may still serve the old copy: pushed at once, or the generation's check. */
const BOUND_MS: Record<string, number> = { redis: 1000, postgres: 1000, mongo: GENERATION_CHECK_MS + 1000, s3: GENERATION_CHECK_MS + 1000 };

type Machine = Awaited<ReturnType<typeof connectMachine>>;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  resetDefaults();
});

/** Polls `condition` every 10 ms until it holds; answers when, or throws after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (await condition()) return Date.now();
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

/** A function cached with a local tier on `machine`; each computation answers a new `n`. */
function localFunction(machine: Machine, id: string, extra: object = {}) {
  const calls = { count: 0 };
  const options = { ...machine.options, id, sourceHash: 'v1', local: true, ...extra };
  const fn = cachier(async (x: number) => ({ x, n: ++calls.count, by: 'here' }), options);
  return { fn, calls };
}

/** Calls `fn(1)` until a call makes no round trip: the copy is kept and served locally (the channel is listening). */
async function untilServedLocally(machine: Machine, fn: (x: number) => Promise<unknown>): Promise<void> {
  await until(
    async () => {
      machine.roundTrips();
      await fn(1);
      return machine.roundTrips().length === 0;
    },
    5000,
    'a hit served with no round trip',
  );
}

type Change = 'precache' | 'clear' | 'forget';

/** Runs the other machine's change in a child process; answers when (epoch ms) the change had returned there. */
async function changeElsewhere(target: BackendTarget, id: string, action: Change, value?: unknown): Promise<number> {
  const config = { backend: target.backend, address: target.address(), id, action, arg: 1, value };
  const { stdout } = await promisify(execFile)(process.execPath, [WORKER, JSON.stringify(config)]);
  return Number(stdout);
}

const shared = backendTargets().filter((target) => ['mongo', 'redis', 'postgres', 's3'].includes(target.backend));

describe.each(shared)('a local tier on $backend', (target) => {
  const bound = BOUND_MS[target.backend] ?? 0;
  const connect = async (address = target.address()): Promise<Machine> => {
    const machine = await connectMachine(target.backend, address);
    cleanups.push(() => machine.close());
    return machine;
  };

  test('serves a hit from this process memory, with no round trip to the server', async (context) => {
    if (target.skip) return context.skip(target.skip);
    const machine = await connect();
    const { fn, calls } = localFunction(machine, `local-hit-${randomUUID()}`);
    await untilServedLocally(machine, fn);
    for (let i = 0; i < 20; i++) expect(await fn(1)).toEqual({ x: 1, n: 1, by: 'here' });
    expect(machine.roundTrips()).toEqual([]);
    expect(calls.count).toBe(1);
  });

  test.for(['precache', 'clear', 'forget'] as const)(
    `after another process's %s returns, the old copy is not served beyond the bound`,
    async (action, context) => {
      if (target.skip) return context.skip(target.skip);
      const machine = await connect();
      const id = `local-${action}-${randomUUID()}`;
      const { fn, calls } = localFunction(machine, id);
      await untilServedLocally(machine, fn);
      const returnedAt = await changeElsewhere(target, id, action, { x: 1, n: 0, by: 'worker' });
      const expected = action === 'precache' ? { x: 1, n: 0, by: 'worker' } : { x: 1, n: 2, by: 'here' };
      const isNew = async (): Promise<boolean> => JSON.stringify(await fn(1)) === JSON.stringify(expected);
      const seenAt = await until(isNew, bound + 5000, `the new value after ${action}`);
      expect(seenAt - returnedAt).toBeLessThanOrEqual(bound);
      expect(calls.count).toBe(action === 'precache' ? 1 : 2);
    },
  );

  test('never serves a copy past its shelf life', async (context) => {
    if (target.skip) return context.skip(target.skip);
    const machine = await connect();
    let now = Date.now();
    setDefaults({ clock: () => now });
    const { fn, calls } = localFunction(machine, `local-shelf-${randomUUID()}`, { staleAfter: '1h' });
    await untilServedLocally(machine, fn);
    now += 60 * 60 * 1000 + 1;
    expect(await fn(1)).toEqual({ x: 1, n: 2, by: 'here' });
    expect(calls.count).toBe(2);
  });

  test('keeps serving local hits while the server is down', async (context) => {
    if (target.skip || !target.ownServer) return context.skip(target.skip ?? 'no server of its own');
    const server = await target.ownServer();
    cleanups.push(() => server.stop());
    const machine = await connect(server.address);
    const { fn, calls } = localFunction(machine, `local-outage-${randomUUID()}`);
    await untilServedLocally(machine, fn);
    await server.stop();
    // Past the generation's check interval too: a failed look at it keeps the copies.
    await sleep(GENERATION_CHECK_MS + 100);
    const started = Date.now();
    for (let i = 0; i < 5; i++) expect(await fn(1)).toEqual({ x: 1, n: 1, by: 'here' });
    expect(calls.count).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe.each(shared.filter((target) => target.backend === 'redis' || target.backend === 'postgres'))(
  'a local tier on $backend, pushed to',
  (target) => {
    test('drops its copies once its listening connection is back, since messages may have been missed meanwhile', async (context) => {
      if (target.skip || !target.ownServer) return context.skip(target.skip ?? 'no server of its own');
      const server = await target.ownServer();
      cleanups.push(() => server.stop());
      const machine = await connectMachine(target.backend, server.address);
      cleanups.push(() => machine.close());
      const { fn, calls } = localFunction(machine, `local-resync-${randomUUID()}`);
      await untilServedLocally(machine, fn);
      await server.stop();
      expect(await fn(1)).toEqual({ x: 1, n: 1, by: 'here' });
      await server.resume();
      await until(
        async () => {
          machine.roundTrips();
          await fn(1);
          return machine.roundTrips().length > 0;
        },
        15_000,
        'a call going to the server again',
      );
      expect(calls.count).toBe(1);
    });
  },
);

describe('the local option', () => {
  test.each(['memory', 'file'] as const)('is refused on the %s backend, whose entries are on this machine already', async (backend) => {
    const fn = cachier(async (x: number) => x, { backend, local: true, id: `local-refused-${backend}` });
    const call = (async () => fn(1))();
    await expect(call).rejects.toThrow(InvalidOptionError);
    await expect(call).rejects.toThrow(/local applies to the shared backends \(mongo, redis, postgres, s3\)/);
  });

  test('set as a default, applies to the functions on shared backends only', async () => {
    setDefaults({ local: true });
    const fn = cachier(async (x: number) => x * 2, { backend: 'memory', id: `local-default-${randomUUID()}` });
    expect(await fn(2)).toBe(4);
  });

  test.each([
    [{ maxEntries: 0 }, /maxEntries must be a whole number above 0/],
    [{ maxBytes: '1 parsec' }, /maxBytes/],
    [{ size: 3 }, /has no field "size"; it takes maxEntries and maxBytes/],
    ['yes', /expected true, false or \{ maxEntries\?, maxBytes\? \}/],
  ])('refuses %j with a message naming the fix', (local, message) => {
    expect(() => cachier(async () => 1, { backend: 'redis', redis: {} as never, local: local as never })).toThrow(message);
  });
});

describe('the example of the local tier', () => {
  const example = 'docs/examples/local-tier.mjs';

  test('docs/local-tier.md shows it as it is, and the README links there', () => {
    const code = readFileSync(new URL(`../../../${example}`, import.meta.url), 'utf8');
    expect(readFileSync(new URL('../../../docs/local-tier.md', import.meta.url), 'utf8')).toContain(code);
    expect(readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')).toContain('(docs/local-tier.md)');
  });

  test('runs against Redis: local hits, then the precached value', async (context) => {
    const server = inject('redisServer');
    if ('skip' in server) return context.skip(server.skip);
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const env = { ...process.env, REDIS_URL: server.url };
    const { stdout } = await promisify(execFile)(process.execPath, [example], { cwd: root, env });
    expect(stdout).toMatch(/^100,000 hits in \d+ ms, without a round trip\nprice\('ACME'\)\.price = 99\n$/);
  });
});
