import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runSync } from '../../../../runtime/backends/file/disk.js';
import { LIVE_OWNER_LEASES, readMark } from '../../../../runtime/backends/file/marks.js';
import { startTimeOf } from '../../../../runtime/backends/file/owner-liveness.js';
import { computations, freshPlace, runWorker, startWorker, waitFor } from '../../../support/file-core/children.js';

/*
 * A synchronous computation cannot renew its lease: its event loop is busy.
 * On one host, its mark holds while its owner runs (up to LIVE_OWNER_LEASES
 * leases), so other processes wait for it instead of computing the key again;
 * a gone, stopped or hung owner still gives the key up. The owners here spin
 * on the CPU (`busy`), as real synchronous work does.
 */

/** How much later than planned a step may end on the shared 2-core machine. */
const LOADED_MACHINE_SLACK_MS = 3_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a process whose sync function spins for `computeMs` on key `k`, and resolves once it computes. */
async function startOwner(place: { cacheDir: string; sideFile: string }, computeMs: number, lease: number) {
  const owner = startWorker({ ...place, keys: ['k'], sync: true, busy: true, computeMs, prefix: 'owner', options: { lease } });
  await waitFor(() => computations(place.sideFile).length === 1);
  return { owner, computingSince: Date.now() };
}

describe('file backend: a live owner keeps its key', () => {
  test('a sync computation of 3 s under a 1 s lease, asked by three processes of one host: computed once, all get its value', async () => {
    const place = freshPlace();
    const { owner } = await startOwner(place, 3_000, 1_000);
    // Waiters of both kinds, started while the owner computes; they wait past its lease.
    const [syncWaiter, asyncWaiter] = await Promise.all([
      runWorker({ ...place, keys: ['k'], sync: true, prefix: 'sync-waiter', options: { lease: 1_000 } }),
      runWorker({ ...place, keys: ['k'], prefix: 'async-waiter', options: { lease: 1_000 } }),
    ]);
    expect((await owner.done).results).toEqual(['owner-k']);
    expect(syncWaiter.results).toEqual(['owner-k']);
    expect(asyncWaiter.results).toEqual(['owner-k']);
    expect(computations(place.sideFile)).toHaveLength(1);
    expect([...syncWaiter.warnings, ...asyncWaiter.warnings]).toEqual([]);
  }, 60_000);

  test('the owner killed with SIGKILL past its lease: a waiter takes the key over promptly', async () => {
    const place = freshPlace();
    const { owner } = await startOwner(place, 60_000, 1_000);
    const waiter = startWorker({ ...place, keys: ['k'], sync: true, prefix: 'waiter', options: { lease: 1_000 } });
    await sleep(2_500);
    // Past the lease the waiter still waits for the live owner.
    expect(computations(place.sideFile)).toHaveLength(1);
    const killedAt = Date.now();
    owner.child.kill('SIGKILL');
    expect(await owner.exited).toBe('SIGKILL');
    expect((await waiter.done).results).toEqual(['waiter-k']);
    // The waiter looks at the mark at least every 500 ms.
    expect(Date.now() - killedAt).toBeLessThan(500 + LOADED_MACHINE_SLACK_MS);
    expect(computations(place.sideFile).map(([pid]) => pid)).toEqual([String(owner.child.pid), String(waiter.child.pid)]);
  }, 60_000);

  test(`an owner alive but computing for ${LIVE_OWNER_LEASES} leases without renewing is taken over, with a warning`, async () => {
    const place = freshPlace();
    const lease = 300;
    const { owner, computingSince } = await startOwner(place, 60_000, lease);
    try {
      const waiter = await runWorker({ ...place, keys: ['k'], sync: true, prefix: 'waiter', options: { lease } });
      const tookOverAfter = Date.now() - computingSince;
      expect(waiter.results).toEqual(['waiter-k']);
      expect(computations(place.sideFile)).toHaveLength(2);
      // The bound runs from the mark's creation, a little before the owner's computation was seen.
      expect(tookOverAfter).toBeGreaterThanOrEqual(LIVE_OWNER_LEASES * lease - 300);
      expect(tookOverAfter).toBeLessThan(LIVE_OWNER_LEASES * lease + LOADED_MACHINE_SLACK_MS);
      const warning = /^CACHIER_LEASE_EXCEEDED: .*took over.*alive on this host.*10 leases \(3000ms\).*computed twice.*raise its lease/;
      expect(waiter.warnings).toEqual([expect.stringMatching(warning)]);
    } finally {
      owner.child.kill('SIGKILL');
      await owner.exited;
    }
  }, 60_000);

  test('an owner stopped with SIGSTOP is taken over when its lease runs out: it is not computing', async () => {
    const place = freshPlace();
    const lease = 1_000;
    const { owner, computingSince } = await startOwner(place, 60_000, lease);
    owner.child.kill('SIGSTOP');
    try {
      const waiter = await runWorker({ ...place, keys: ['k'], sync: true, prefix: 'waiter', options: { lease } });
      expect(waiter.results).toEqual(['waiter-k']);
      expect(Date.now() - computingSince).toBeLessThan(lease + LOADED_MACHINE_SLACK_MS);
      expect(waiter.warnings).toEqual([]);
    } finally {
      owner.child.kill('SIGKILL');
      owner.child.kill('SIGCONT');
      await owner.exited;
    }
  }, 60_000);
});

describe.skipIf(process.platform !== 'linux')('file backend: what a mark on this host says, from /proc', () => {
  /** Writes the mark of `owner` at a fresh path, last renewed `ageMs` ago, and reads it as a waiter would. */
  function markOf(owner: { pid: number; leaseMs: number; startTime?: string; host?: string }, ageMs: number) {
    const { cacheDir } = freshPlace();
    mkdirSync(cacheDir, { recursive: true });
    const path = join(cacheDir, `${'ab'.repeat(32)}.mark`);
    writeFileSync(path, JSON.stringify({ token: 'elsewhere', host: hostname(), ...owner }));
    const renewedAt = (Date.now() - ageMs) / 1000;
    utimesSync(path, renewedAt, renewedAt);
    return runSync(readMark(path));
  }

  /** Runs `sleep 30` whose child exited and is never reaped: a zombie. */
  async function withZombie(use: (zombie: number, parent: number) => void | Promise<void>): Promise<void> {
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let output = '';
      parent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor(() => output.endsWith('\n'));
      const zombie = Number(output.trim());
      await waitFor(() => existsSync(`/proc/${zombie}/stat`) && readFileSync(`/proc/${zombie}/stat`, 'latin1').includes(') Z '));
      await use(zombie, parent.pid ?? 0);
    } finally {
      parent.kill('SIGKILL');
    }
  }

  test('an owner killed but not yet reaped (a zombie) is gone: its mark is dead within its lease', async () => {
    await withZombie((zombie) => {
      const gone = { kind: 'dead', why: `its owner, pid ${zombie}, is gone`, overdue: false };
      expect(markOf({ pid: zombie, leaseMs: 60_000 }, 0)).toMatchObject(gone);
    });
  });

  test('a running owner holds its mark past its lease, up to 10 leases; a later process with its pid does not', async () => {
    await withZombie((_zombie, running) => {
      const startTime = startTimeOf(running);
      expect(startTime).toMatch(/^\d+$/);
      const held = markOf({ pid: running, leaseMs: 1_000, startTime }, 2_000);
      expect(held).toMatchObject({ kind: 'live', ownedByThisProcess: false });
      expect(held.kind === 'live' && held.expiresAt - Date.now()).toBeGreaterThan(7_000);
      expect(markOf({ pid: running, leaseMs: 1_000, startTime }, 10_500)).toMatchObject({ kind: 'dead', overdue: true });
      // The pid of a process that started at another time is not the owner's: the owner is gone.
      expect(markOf({ pid: running, leaseMs: 1_000, startTime: `${startTime}0` }, 0)).toMatchObject({ kind: 'dead', overdue: false });
      // A mark that does not say when its owner started (an older cachier wrote it) trusts the pid.
      expect(markOf({ pid: running, leaseMs: 1_000 }, 2_000)).toMatchObject({ kind: 'live' });
    });
  });

  test('an owner on another host holds its mark for its lease only, whatever runs here with its pid', () => {
    const elsewhere = { pid: process.pid, leaseMs: 1_000, host: `not-${hostname()}` };
    expect(markOf(elsewhere, 500)).toMatchObject({ kind: 'live' });
    expect(markOf(elsewhere, 1_500)).toMatchObject({ kind: 'dead', overdue: false, why: /lease ran out/ });
  });

  test('a mark naming pid 0 or -1 (process groups, not an owner) is no mark: dead once a second old', () => {
    expect(markOf({ pid: -1, leaseMs: 60_000 }, 1_500)).toMatchObject({ kind: 'dead', why: 'it was unreadable' });
    expect(markOf({ pid: 0, leaseMs: 60_000 }, 1_500)).toMatchObject({ kind: 'dead', why: 'it was unreadable' });
  });
});
