/*
 * Fault injection on the file backend, with real processes, real signals, real
 * mounts and a real second user. Every test asserts a measured figure, and
 * the figures are printed at the end (docs/file-backend.md, "Failures").
 * Tests that need root (mounting, switching users) are skipped with the
 * reason on machines that cannot; CI runs as root.
 */
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { serialize } from 'node:v8';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { keyPaths, versionLayout } from '../../../../runtime/backends/file/layout.js';
import { keyOfArguments } from '../../../../runtime/keys.js';
import {
  OTHER_UID,
  type CallOutput,
  callInChild,
  mountTmpfs,
  openPlace,
  remount,
  runChild,
  startChild,
  tempFilesUnder,
  unmount,
  whyNot,
} from '../../../support/file-faults/processes.js';

/** Figures measured by this suite, printed once it ends. */
const figures: Record<string, string | number> = {};
afterAll(() => {
  console.log(`file backend fault suite, measured figures:\n${JSON.stringify(figures, null, 2)}`);
});

const ID = 'test/file-faults#price';
const entryPathOf = (cacheDir: string, key: string): string => keyPaths(versionLayout(cacheDir, ID, 'v1'), keyOfArguments([key])).entry;
const markPathOf = (cacheDir: string, key: string): string => keyPaths(versionLayout(cacheDir, ID, 'v1'), keyOfArguments([key])).mark;

/** A private-cache entry file with a valid CRC around any payload: what a forger can write. */
function craftedEntry(key: string, payload: Buffer, declaredKeyLength?: number): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const bytes = Buffer.alloc(22 + keyBytes.length + payload.length);
  bytes.write('CACHIER1', 0, 'latin1');
  bytes.writeDoubleLE(Date.now(), 12);
  bytes.writeUInt16LE(declaredKeyLength ?? keyBytes.length, 20);
  keyBytes.copy(bytes, 22);
  payload.copy(bytes, 22 + keyBytes.length);
  bytes.writeUInt32LE(crc32(bytes.subarray(12)), 8);
  return bytes;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a loaded machine may add to the moment a child's timer fires and its
 * call returns: the timing bounds below allow it on top of the figure they
 * check, and each stays far below what the failure it guards against takes
 * (the 30 s default lease, or the child's 30 s timeout for a waiter that never
 * stops). The measured figures are printed, so a slow-down still shows.
 */
const LOADED_MACHINE_SLACK_MS = 5_000;

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await sleep(10);
  }
}

/** A `call` child that computes `key` slowly, started once its computation has begun. */
async function computerOf(cacheDir: string, key: string, options: Record<string, unknown>) {
  const sideFile = join(dirname(cacheDir), `${key}.log`);
  const computer = startChild({ mode: 'call', cacheDir, sideFile, key, computeMs: 60_000, options }, { timeoutMs: 70_000 });
  await until(() => existsSync(sideFile), 10_000);
  return computer;
}

/** A `call` child for `key`, started once it is waiting for another process's computation. */
async function waiterOf(cacheDir: string, key: string, options: Record<string, unknown>) {
  const waiter = startChild({ mode: 'call', cacheDir, key, options }, { env: { NODE_DEBUG: 'cachier' }, timeoutMs: 30_000 });
  await until(() => waiter.stderr().includes('another caller is computing it: waiting'), 10_000);
  return waiter;
}

describe('file backend faults: concurrency and dead computers', () => {
  test('8 processes x 200 mixed calls and clears: no key computed twice per generation, no wrong value', async () => {
    const root = openPlace();
    const cacheDir = join(root, 'cache');
    const sideFile = join(root, 'events.log');
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const started = Date.now();
    const outputs = (await Promise.all(
      Array.from({ length: 8 }, (_, seed) =>
        runChild(
          { mode: 'mixed', cacheDir, sideFile, keys, calls: 200, clearOneIn: 10, seed: seed + 1, computeMs: 2 },
          { timeoutMs: 120_000 },
        ),
      ),
    )) as Array<{ wrong: number; clears: number; warnings: string[] }>;

    // A generation is the time between clears: no clear running, none starting.
    // Two computations of one key with no clear running or starting between them are a duplicate.
    // The log's order is the order of the appends, and each event is logged on
    // its side of what it stands for: a computation after its caller claimed the
    // key's mark and found no entry, before it stores and releases the mark; a
    // clear's start before it removes the entries, its end after. So a second
    // computation only finds no entry when a clear removed the first one's after
    // it was stored, and that clear's start or end lies between the two lines, or
    // it was running at the first. Load delays events but cannot reorder these: a
    // duplicate is a computation made without the mark (as waiters did after
    // three computers in turn, until the engine kept waiting).
    let running = 0;
    let computations = 0;
    let duplicates = 0;
    const computedThisGeneration = new Set<string>();
    for (const line of readFileSync(sideFile, 'utf8').trim().split('\n')) {
      const [, event, key] = line.split(' ');
      if (event === 'clear-start' || event === 'clear-end') {
        running += event === 'clear-start' ? 1 : -1;
        computedThisGeneration.clear();
      } else {
        computations++;
        if (running === 0 && computedThisGeneration.has(key as string)) duplicates++;
        if (running === 0) computedThisGeneration.add(key as string);
      }
    }
    const wrong = outputs.reduce((sum, output) => sum + output.wrong, 0);
    const clears = outputs.reduce((sum, output) => sum + output.clears, 0);
    Object.assign(figures, {
      'mixed: processes x calls': '8 x 200',
      'mixed: clears': clears,
      'mixed: computations': computations,
      'mixed: duplicate computations in a generation': duplicates,
      'mixed: wrong values': wrong,
      'mixed: warnings': outputs.flatMap((output) => output.warnings).length,
      'mixed: seconds': (Date.now() - started) / 1000,
    });
    expect(clears).toBeGreaterThan(50);
    expect(duplicates).toBe(0);
    expect(wrong).toBe(0);
    expect(outputs.flatMap((output) => output.warnings)).toEqual([]);
    expect(tempFilesUnder(cacheDir)).toEqual([]);
  }, 180_000);

  test("the computer is killed with SIGKILL, 20 times: every waiter is done within the lease (and a loaded machine's slack)", async () => {
    const root = openPlace();
    const cacheDir = join(root, 'cache');
    const options = { lease: '2s' };
    const freedAfterMs: number[] = [];
    for (let round = 0; round < 20; round++) {
      const key = `killed-${round}`;
      const computer = await computerOf(cacheDir, key, options);
      const waiter = await waiterOf(cacheDir, key, options);
      const killedAt = Date.now();
      computer.child.kill('SIGKILL');
      const output = (await waiter.output) as CallOutput;
      // When the waiter's call returned, not when the test saw its process end.
      freedAfterMs.push(output.doneAt - killedAt);
      expect(output).toMatchObject({ value: `value-${key}`, computed: 1 });
      await computer.exited;
    }
    const within = (ms: number): number => freedAfterMs.filter((freedAfter) => freedAfter <= ms).length;
    Object.assign(figures, {
      'SIGKILL: rounds with the waiter done within lease (2 s) + 2 s': `${within(2_000 + 2_000)}/20`,
      'SIGKILL: waiter done after the kill, min..max ms': `${Math.min(...freedAfterMs)}..${Math.max(...freedAfterMs)}`,
    });
    expect(within(2_000 + LOADED_MACHINE_SLACK_MS)).toBe(20);
  }, 120_000);

  test('the computer is stopped with SIGSTOP: a waiter with waitForCalcTimeout 2s computes after 2 s, one without waits for the lease', async () => {
    const root = openPlace();
    const cacheDir = join(root, 'cache');
    // A stopped computer renews nothing: its mark dies when its lease runs out, which takes 30 s by default.
    const computers = [await computerOf(cacheDir, 'long-lease', {}), await computerOf(cacheDir, 'short-lease', { lease: '1500ms' })];
    for (const computer of computers) computer.child.kill('SIGSTOP');
    try {
      const [timed, leased] = await Promise.all([
        callInChild({ cacheDir, key: 'long-lease', options: { waitForCalcTimeout: '2s' } }),
        callInChild({ cacheDir, key: 'short-lease' }),
      ]);
      Object.assign(figures, {
        'SIGSTOP: call with waitForCalcTimeout 2s (lease 30 s) done after ms': Math.round(timed.ms),
        'SIGSTOP: call without timeout (lease 1.5 s) done after ms': Math.round(leased.ms),
      });
      expect(timed).toMatchObject({ value: 'value-long-lease', computed: 1 });
      expect(leased).toMatchObject({ value: 'value-short-lease', computed: 1 });
      expect(timed.ms).toBeGreaterThanOrEqual(1_900);
      expect(timed.ms).toBeLessThanOrEqual(2_000 + LOADED_MACHINE_SLACK_MS);
      expect(leased.ms).toBeLessThanOrEqual(1_500 + LOADED_MACHINE_SLACK_MS);
    } finally {
      for (const computer of computers) {
        computer.child.kill('SIGKILL');
        computer.child.kill('SIGCONT');
        await computer.exited;
      }
    }
  }, 60_000);
});

describe('file backend faults: crafted entries', () => {
  const forgedSparseArray = (): Buffer => {
    const holes: unknown[] = [];
    holes.length = 4_000_000_000;
    holes[0] = 'planted';
    return serialize(holes);
  };
  /** A v8 string header declaring 2^30 one-byte characters, followed by 5. */
  const hugeDeclaredString = Buffer.from([0xff, 0x0f, 0x22, 0x80, 0x80, 0x80, 0x80, 0x04, 0x61, 0x62, 0x63, 0x64, 0x65]);
  const valid = (digest: string): Buffer => craftedEntry(digest, serialize('value-from-an-old-run'));

  // `plant` gets the entry's path and the key as the core sees it (the digest of the arguments).
  const cases: Array<{ name: string; plant: (path: string, key: string) => void; problem: RegExp }> = [
    { name: 'empty', plant: (path) => writeFileSync(path, ''), problem: /not a cachier entry/ },
    { name: 'truncated', plant: (path, key) => writeFileSync(path, valid(key).subarray(0, 30)), problem: /checksum/ },
    {
      name: 'random bytes',
      plant: (path) => writeFileSync(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))),
      problem: /not a cachier entry/,
    },
    {
      name: 'huge declared key length',
      plant: (path, key) => writeFileSync(path, craftedEntry(key, Buffer.alloc(8), 0xffff)),
      problem: /another key/,
    },
    {
      name: 'huge declared string length',
      plant: (path, key) => writeFileSync(path, craftedEntry(key, hugeDeclaredString)),
      problem: /cannot be deserialized/,
    },
    {
      name: 'forged 4-billion-element sparse array',
      plant: (path, key) => writeFileSync(path, craftedEntry(key, forgedSparseArray())),
      problem: /array of length 4000000000/,
    },
    { name: 'a folder', plant: (path) => mkdirSync(path), problem: /not a regular file/ },
    {
      name: 'a symbolic link to a valid entry',
      plant: (path, key) => {
        writeFileSync(`${path}-real`, valid(key));
        symlinkSync(`${path}-real`, path);
      },
      problem: /not a regular file/,
    },
    { name: 'a symbolic link to /dev/zero', plant: (path) => symlinkSync('/dev/zero', path), problem: /not a regular file/ },
    { name: 'a FIFO with no writer', plant: (path) => execFileSync('mkfifo', [path]), problem: /not a regular file/ },
    {
      name: 'a 1 GB sparse file',
      plant: (path) => {
        writeFileSync(path, '');
        truncateSync(path, 1024 ** 3);
      },
      problem: /1073741824 bytes long/,
    },
  ];

  test.each(cases)(
    '$name where an entry should be: a miss with a warning, computed again, nothing read beyond fstat',
    async ({ name, plant, problem }) => {
      const root = openPlace();
      const cacheDir = join(root, 'cache');
      const key = 'ACME';
      const path = entryPathOf(cacheDir, key);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      plant(path, keyOfArguments([key]));
      const output = await callInChild({ cacheDir, key }, { timeoutMs: 20_000 });
      figures[`crafted ${name}: ms, RSS growth MB`] = `${output.ms.toFixed(1)}, ${output.rssGrowthMB.toFixed(1)}`;
      expect(output.value).toBe('value-ACME');
      expect(output.computed).toBe(1);
      expect(output.warnings.join('\n')).toMatch(problem);
      expect(output.rssGrowthMB).toBeLessThan(64);
    },
    30_000,
  );
});

const cannotMount = whyNot('mount');

/** Runs `body` with a fresh tmpfs of `sizeKB` mounted, and unmounts it after. */
async function onTmpfs(sizeKB: number, body: (disk: string) => Promise<void>): Promise<void> {
  const disk = mountTmpfs(openPlace(), sizeKB);
  try {
    await body(disk);
  } finally {
    unmount(disk);
  }
}
const cannotSwitchUser = whyNot('setpriv');

describe.skipIf(cannotMount)(`file backend faults: full and read-only disks${cannotMount ? ` (skipped: ${cannotMount})` : ''}`, () => {
  test('disk full (a 256 KB tmpfs): the value is returned, the warning says ENOSPC, no temp file is left, older entries stay', async () => {
    await onTmpfs(256, async (disk) => {
      const cacheDir = join(disk, 'cache');
      await callInChild({ cacheDir, key: 'kept' });
      const filler = join(disk, 'filler');
      try {
        for (;;) appendFileSync(filler, Buffer.alloc(4096));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      const fresh = await callInChild({ cacheDir, key: 'fresh' });
      const kept = await callInChild({ cacheDir, key: 'kept' });
      const leftovers = tempFilesUnder(cacheDir);
      figures['disk full: temp files left after failed writes'] = leftovers.length;
      figures['disk full: warning'] = fresh.warnings.join(' | ');
      expect(fresh).toMatchObject({ value: 'value-fresh', computed: 1 });
      expect(fresh.warnings.join('\n')).toContain('the disk is full (ENOSPC');
      expect(leftovers).toEqual([]);
      expect(kept).toMatchObject({ value: 'value-kept', computed: 0, warnings: [] });
      rmSync(filler);
      await callInChild({ cacheDir, key: 'fresh' });
      expect(await callInChild({ cacheDir, key: 'fresh' })).toMatchObject({ value: 'value-fresh', computed: 0 });
    });
  }, 60_000);

  test('read-only file system: hits still served, misses returned with a warning naming EROFS (not ENOENT), nothing changed', async () => {
    await onTmpfs(1024, async (disk) => {
      const cacheDir = join(disk, 'cache');
      await callInChild({ cacheDir, key: 'kept' });
      remount(disk, 'ro');
      const kept = await callInChild({ cacheDir, key: 'kept' });
      const fresh = await callInChild({ cacheDir, key: 'fresh' });
      const never = await callInChild({ cacheDir: join(disk, 'never-created'), key: 'fresh' });
      figures['read-only: warning, cache present'] = fresh.warnings.join(' | ');
      figures['read-only: warning, cache folder missing'] = never.warnings.join(' | ');
      expect(kept).toMatchObject({ value: 'value-kept', computed: 0, warnings: [] });
      for (const output of [fresh, never]) {
        expect(output).toMatchObject({ value: 'value-fresh', computed: 1 });
        expect(output.warnings.join('\n')).toContain('the file system is read-only (EROFS');
        expect(output.warnings.join('\n')).not.toContain('ENOENT');
      }
      remount(disk, 'rw');
      expect(await callInChild({ cacheDir, key: 'kept' })).toMatchObject({ computed: 0, warnings: [] });
      expect(existsSync(entryPathOf(cacheDir, 'fresh'))).toBe(false);
    });
  }, 60_000);
});

describe.skipIf(cannotSwitchUser)(`file backend faults: other users${cannotSwitchUser ? ` (skipped: ${cannotSwitchUser})` : ''}`, () => {
  const planted = { value: -1 };

  test('a cache folder created by another user: refused, the planted value is never served', async () => {
    const root = openPlace();
    const cacheDir = join(root, 'theirs');
    mkdirSync(cacheDir, { mode: 0o755 });
    chownSync(cacheDir, OTHER_UID, OTHER_UID);
    await runChild({ mode: 'precache', cacheDir, key: 'ACME', ...planted }, { uid: OTHER_UID });
    expect(existsSync(entryPathOf(cacheDir, 'ACME'))).toBe(true);
    const victim = await callInChild({ cacheDir, key: 'ACME' });
    figures['foreign-owned folder: warning'] = victim.warnings[0] ?? '';
    expect(victim).toMatchObject({ value: 'value-ACME', computed: 1 });
    expect(victim.warnings[0]).toContain(`refusing the cache folder ${cacheDir}: it is owned by uid ${OTHER_UID}`);
  });

  test('a world-writable cache folder where another user copied entries: refused', async () => {
    const root = openPlace();
    const cacheDir = join(root, 'mine');
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    const plantedDir = join(root, 'planter');
    mkdirSync(plantedDir);
    chownSync(plantedDir, OTHER_UID, OTHER_UID);
    await runChild({ mode: 'precache', cacheDir: join(plantedDir, 'cache'), key: 'ACME', ...planted }, { uid: OTHER_UID });
    execFileSync('setpriv', [
      `--reuid=${OTHER_UID}`,
      `--regid=${OTHER_UID}`,
      '--clear-groups',
      'cp',
      '-r',
      join(plantedDir, 'cache', '.'),
      cacheDir,
    ]);
    const victim = await callInChild({ cacheDir, key: 'ACME' });
    figures['world-writable folder: warning'] = victim.warnings[0] ?? '';
    expect(victim).toMatchObject({ value: 'value-ACME', computed: 1 });
    expect(victim.warnings[0]).toContain('it is writable by everyone (mode 777)');
  });

  test('a cache folder reached through a symbolic link another user owns: refused', async () => {
    const root = openPlace();
    const real = join(root, 'real');
    await callInChild({ cacheDir: real, key: 'ACME' });
    const link = join(root, 'link');
    symlinkSync(real, link);
    lchownSync(link, OTHER_UID, OTHER_UID);
    const victim = await callInChild({ cacheDir: link, key: 'ACME' });
    figures['foreign symlink: warning'] = victim.warnings[0] ?? '';
    expect(victim).toMatchObject({ value: 'value-ACME', computed: 1 });
    expect(victim.warnings[0]).toContain(`a symbolic link owned by uid ${OTHER_UID}`);
  });

  test('a folder this user may not write: the value is returned with a warning naming EACCES', async () => {
    const root = openPlace();
    const output = await callInChild({ cacheDir: join(root, 'cache'), key: 'ACME' }, { uid: OTHER_UID, env: { HOME: root } });
    figures['permission denied: warning'] = output.warnings.join(' | ');
    expect(output).toMatchObject({ value: 'value-ACME', computed: 1 });
    expect(output.warnings.join('\n')).toContain('permission denied (EACCES');
  });

  test('shared: true with CACHIER_SHARED_KEY: a team member’s entry is served, one signed with another key is a miss', async () => {
    const root = openPlace();
    const cacheDir = join(root, 'team');
    mkdirSync(cacheDir, { mode: 0o777 });
    chmodSync(cacheDir, 0o777);
    const key = { CACHIER_SHARED_KEY: 'team-secret-0123456789' };
    const shared = { shared: true };
    await runChild({ mode: 'precache', cacheDir, key: 'ACME', value: 'team-value', options: shared }, { uid: OTHER_UID, env: key });
    await runChild(
      { mode: 'precache', cacheDir, key: 'EVIL', value: 'planted', options: shared },
      { uid: OTHER_UID, env: { CACHIER_SHARED_KEY: 'not-the-team-secret-42' } },
    );
    const served = await callInChild({ cacheDir, key: 'ACME', options: shared }, { env: key });
    const forged = await callInChild({ cacheDir, key: 'EVIL', options: shared }, { env: key });
    const privateReader = await callInChild({ cacheDir, key: 'ACME' });
    figures['shared: forged entry warning'] = forged.warnings[0] ?? '';
    expect(served).toMatchObject({ value: 'team-value', computed: 0, warnings: [] });
    expect(forged).toMatchObject({ value: 'value-EVIL', computed: 1 });
    expect(forged.warnings[0]).toContain('not signed with this CACHIER_SHARED_KEY');
    expect(privateReader).toMatchObject({ value: 'value-ACME', computed: 1 });
    expect(privateReader.warnings[0]).toContain('refusing the cache folder');
  });
});

test('a mark file left by a killed claimer is removed by clearBeingCalculated once it is 10 s old', async () => {
  const root = openPlace();
  const cacheDir = join(root, 'cache');
  await callInChild({ cacheDir, key: 'ACME' });
  const leftover = `${markPathOf(cacheDir, 'ACME')}.1234-0-deadbeef.tmp`;
  writeFileSync(leftover, '');
  const minuteAgo = (Date.now() - 60_000) / 1000;
  utimesSync(leftover, minuteAgo, minuteAgo);
  const { cachier } = await import('../../../../runtime/index.js');
  const price = cachier(async (key: string) => `value-${key}`, { id: ID, sourceHash: 'v1', cacheDir });
  await price.clearBeingCalculated();
  expect(existsSync(leftover)).toBe(false);
});
