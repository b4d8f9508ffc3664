import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, vi } from 'vitest';
import { BackendError } from '../../../runtime/index.js';
import { backendTargets } from '../../support/backends/targets.js';
import { computations, startProcess } from '../../support/backends/processes.js';
import { counted, gate, racyClaimsReason, suiteFor } from '../../support/backends/suite.js';

// The conformance behaviour that needs real processes or a server the test
// stops: waiting across processes, takeover from a killed owner, outages,
// a restart in the middle of calls, and the round trips of a hit and a miss.
/**
 * The round trips of a miss and of a hit, once the first call of the process
 * did its one-time setup (a miss). After a miss, MongoDB's read also claims
 * the key (findAndModify), so a miss is that and a store, and the hit that
 * follows is that one findAndModify (a hit after hits is a find).
 */
const ROUND_TRIPS: Partial<Record<string, { miss: string[]; hit: string[] }>> = {
  mongo: { miss: ['findAndModify', 'update'], hit: ['findAndModify'] },
  redis: { miss: ['GET', 'EVAL', 'EVAL'], hit: ['GET'] },
  postgres: { miss: ['cachier_get', 'cachier_claim', 'cachier_store'], hit: ['cachier_get'] },
  s3: { miss: ['GetObject', 'PutObject', 'PutObject', 'DeleteObject'], hit: ['GetObject'] },
};

/** S3 endpoints that ignore conditional writes: the claim reads before it writes, and the claim's owner is read before it is deleted. */
const S3_WITHOUT_CONDITIONAL_WRITES = {
  miss: ['GetObject', 'HeadObject', 'PutObject', 'PutObject', 'HeadObject', 'DeleteObject'],
  hit: ['GetObject'],
};

describe.each(backendTargets().map((target) => [target.backend, target] as const))('%s backend', (_, target) => {
  const { spec, machine, uniqueId, warnings } = suiteFor(target);
  const notShared = () => (target.sharedAcrossProcesses ? undefined : `${target.backend} entries live in one process`);
  const noServer = () => (target.ownServer ? undefined : `${target.backend} has no server to stop`);

  spec(
    'while one process computes a key, another process waits for its value instead of computing it',
    async () => {
      const id = uniqueId('processes');
      const countFile = join(mkdtempSync(join(tmpdir(), 'cachier-count-')), 'computations.txt');
      const a = startProcess(target, { id, tag: 'A', countFile, args: [1], delayMs: 3_000 });
      await vi.waitFor(() => expect(computations(countFile)).toEqual(['A']), { timeout: 20_000, interval: 50 });
      const b = startProcess(target, { id, tag: 'B', countFile, args: [1] });
      expect(await b.results).toEqual([{ x: 1, computedBy: 'A' }]);
      expect(await a.results).toEqual([{ x: 1, computedBy: 'A' }]);
      expect(computations(countFile)).toEqual(['A']);
    },
    notShared,
  );

  spec(
    'when the computing process is killed, another takes over once its lease runs out',
    async () => {
      const id = uniqueId('takeover');
      const countFile = join(mkdtempSync(join(tmpdir(), 'cachier-count-')), 'computations.txt');
      const a = startProcess(target, { id, tag: 'A', countFile, args: [1], delayMs: 600_000, lease: '2s' });
      a.results.catch(() => undefined);
      await vi.waitFor(() => expect(computations(countFile)).toEqual(['A']), { timeout: 20_000, interval: 50 });
      const b = startProcess(target, { id, tag: 'B', countFile, args: [1], lease: '2s' });
      a.child.kill('SIGKILL');
      expect(await b.results).toEqual([{ x: 1, computedBy: 'B' }]);
      expect(computations(countFile)).toEqual(['A', 'B']);
    },
    notShared,
  );

  spec(
    'a process computing longer than its lease renews it, so another process waits for its value instead of computing it',
    async () => {
      const id = uniqueId('renewing-process');
      const countFile = join(mkdtempSync(join(tmpdir(), 'cachier-count-')), 'computations.txt');
      const a = startProcess(target, { id, tag: 'A', countFile, args: [1], delayMs: 6_000, lease: '1s' });
      await vi.waitFor(() => expect(computations(countFile)).toEqual(['A']), { timeout: 20_000, interval: 50 });
      await sleep(2_500);
      const b = startProcess(target, { id, tag: 'B', countFile, args: [1], lease: '1s' });
      expect(await b.results).toEqual([{ x: 1, computedBy: 'A' }]);
      expect(await a.results).toEqual([{ x: 1, computedBy: 'A' }]);
      expect(computations(countFile)).toEqual(['A']);
    },
    notShared,
  );

  spec(
    'processes racing on the same keys compute each key once',
    async () => {
      const id = uniqueId('racing-processes');
      const countFile = join(mkdtempSync(join(tmpdir(), 'cachier-count-')), 'computations.txt');
      const keys = Array.from({ length: 10 }, (_, i) => i);
      const results = await Promise.all(['A', 'B', 'C'].map((tag) => startProcess(target, { id, tag, countFile, args: keys }).results));
      for (const result of results) expect(result.map((entry) => entry.x)).toEqual(keys);
      expect(computations(countFile)).toHaveLength(keys.length);
    },
    async () => notShared() ?? (await racyClaimsReason(target)),
  );

  spec(
    'when the server is down, calls return computed values with a warning, strict calls throw, and entries are served again after',
    async () => {
      const server = await target.ownServer!();
      try {
        const m = await machine(server.address);
        const tolerant = counted(m, uniqueId('tolerant'), (x) => x * 10);
        const strict = counted(m, uniqueId('strict'), (x) => x * 10, { strict: true });
        expect(await tolerant.fn(1)).toBe(10);
        expect(await strict.fn(1)).toBe(10);

        await server.stop();
        expect(await tolerant.fn(1)).toBe(10);
        expect(await tolerant.fn(2)).toBe(20);
        expect(tolerant.calls.count).toBe(3);
        await vi.waitFor(() => expect(warnings.some((warning) => warning.code === 'CACHIER_BACKEND_FAILED')).toBe(true));
        expect(warnings.filter((warning) => warning.code === 'CACHIER_BACKEND_FAILED')[0]?.message).toMatch(
          new RegExp(`the ${target.backend} cache could not read, so the call went on without it: \\S+ read failed: .*(fails|fail) fast`),
        );
        const rejected = strict.fn(1);
        await expect(rejected).rejects.toThrow(BackendError);
        await expect(rejected).rejects.toThrow(/read failed/);
        expect(strict.calls.count).toBe(1);

        await server.resume();
        await vi.waitFor(async () => expect(await strict.fn(1)).toBe(10), { timeout: 20_000, interval: 250 });
        expect(strict.calls.count).toBe(1);
        expect(await tolerant.fn(1)).toBe(10);
        expect(tolerant.calls.count).toBe(3);
      } finally {
        await server.stop();
      }
    },
    noServer,
  );

  spec(
    'a server restart in the middle of calls leaves no caller hanging, and the cache works after it',
    async () => {
      const server = await target.ownServer!();
      try {
        const id = uniqueId('restart');
        const slow = gate<string>();
        const a = counted(await machine(server.address), id, () => slow.promise);
        const computing = a.fn(1);
        await vi.waitFor(() => expect(a.calls.count).toBe(1));
        const b = counted(await machine(server.address), id, () => 'b computed');
        const waiting = b.fn(1);
        await vi.waitFor(async () => expect((await b.fn.cacheInfo()).waits).toBe(1));

        await server.stop();
        await server.resume();
        slow.open('a computed');
        // A liveness bound, not a timing assertion: a hung caller never settles.
        const settled = await Promise.race([Promise.allSettled([computing, waiting]), sleep(45_000).then(() => 'hung' as const)]);
        expect(settled).not.toBe('hung');
        expect(await computing).toBe('a computed');
        expect(['a computed', 'b computed']).toContain(await waiting);

        const c = counted(await machine(server.address), id, () => 'c computed');
        await vi.waitFor(async () => expect(['a computed', 'b computed', 'c computed']).toContain(await c.fn(1)), { timeout: 20_000 });
        const count = c.calls.count;
        expect(await c.fn(1)).toBe(await c.fn(1));
        expect(c.calls.count).toBe(count);
      } finally {
        await server.stop();
      }
    },
    noServer,
    120_000,
  );

  spec(
    'a hit is one round trip, and a miss the number the backend doc states',
    async () => {
      const expected = (await racyClaimsReason(target)) ? S3_WITHOUT_CONDITIONAL_WRITES : ROUND_TRIPS[target.backend]!;
      const m = await machine();
      const { fn } = counted(m, uniqueId('round-trips'), (x) => x * 2);
      await fn(0);
      m.roundTrips();
      await fn(1);
      expect(m.roundTrips()).toEqual(expected.miss);
      await fn(1);
      expect(m.roundTrips()).toEqual(expected.hit);
    },
    () => (ROUND_TRIPS[target.backend] === undefined ? `${target.backend} makes no network round trips` : undefined),
  );
});
