import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import type { FunctionInfo } from '../../runtime/backends/shared/inspection.js';
import { openFileInspector } from '../../runtime/backends/file/inspector.js';
import { carryOut, createOutput } from '../../cli/output.js';
import { cachier } from '../../runtime/index.js';
import { CLI, cachierCli, cachierJson, fill } from '../support/cli/run.js';

// Every command runs as a child process (the built `cachier` bin) against
// caches made by real cached calls in other child processes. One test drives
// the file store in-process, to put a rewrite exactly between plan and removal.

interface Listing {
  readonly functions: FunctionInfo[];
}
interface RemovalJson {
  readonly kind: string;
  readonly functionId: string;
  readonly target: string;
  readonly entries: number;
  readonly bytes: number;
  readonly problem?: string;
}

const HOUR = 3_600_000;
let cacheDir: string;
let env: Record<string, string>;

beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'cachier-cli-'));
  env = { CACHIER_DIR: cacheDir };
});

/** Every file under the cache folder, relative to it. */
function filesIn(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(cacheDir, join(entry.parentPath, entry.name)))
    .sort();
}

const listing = (...args: string[]): FunctionInfo[] => cachierJson<Listing>(['ls', ...args], env).functions;
const byId = (functions: FunctionInfo[], id: string): FunctionInfo => {
  const found = functions.find((fn) => fn.id === id);
  if (!found) throw new Error(`${id} not listed`);
  return found;
};
const ago = (path: string, ms: number): void => {
  const time = new Date(Date.now() - ms);
  utimesSync(path, time, time);
};

describe('cachier ls', () => {
  test('lists each function by its id with entries, bytes, stale entries and old versions', () => {
    fill({ cacheDir }, [
      { id: 'src/prices.ts#fetchPrices', count: 5, staleAfter: '1h', ageMs: 2 * HOUR },
      { id: 'src/prices.ts#fetchPrices', count: 7, from: 5, staleAfter: '1h' },
      { id: 'src/report.ts#render', count: 3, size: 1000 },
    ]);
    const functions = listing();
    expect(functions.map((fn) => fn.id)).toEqual(['src/prices.ts#fetchPrices', 'src/report.ts#render']);
    const prices = byId(functions, 'src/prices.ts#fetchPrices');
    expect(prices.sourceFile).toBe('src/prices.ts');
    expect(prices.versions).toHaveLength(1);
    expect(prices.versions[0]).toMatchObject({ current: true, entries: 12, stale: 5, staleAfterMs: HOUR, sourceHash: 'v1' });
    const render = byId(functions, 'src/report.ts#render');
    expect(render.versions[0]?.stale).toBeNull();
    expect(render.versions[0]?.bytes).toBeGreaterThan(3000);

    const text = cachierCli(['ls'], env);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/src\/prices\.ts#fetchPrices\s+file\s+12\s/);
    expect(text.stdout).toMatch(/5 \(>1h\)/);
    expect(text.stdout).toContain('2 functions in file ');
  });

  test('a manifest.json next to the entries says whose cache a folder is', () => {
    fill({ cacheDir }, [{ id: 'src/prices.ts#fetchPrices', count: 1, staleAfter: '3d' }]);
    const [version] = byId(listing(), 'src/prices.ts#fetchPrices').versions;
    const manifest = JSON.parse(readFileSync(join(version?.location ?? '', 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      functionId: 'src/prices.ts#fetchPrices',
      sourceFile: 'src/prices.ts',
      functionName: 'fetchPrices',
      sourceHash: 'v1',
      staleAfterMs: 3 * 86_400_000,
      nextTime: false,
    });
  });

  test('shows a live being-calculated mark with its owner and lease left', () => {
    fill({ cacheDir }, [{ id: 'src/a.ts#slow', count: 1 }]);
    const location = byId(listing(), 'src/a.ts#slow').versions[0]?.location ?? '';
    mkdirSync(join(location, 'marks'), { recursive: true });
    // This test process computes a key, with a 10-minute lease.
    writeFileSync(
      join(location, 'marks', `${'ef'.repeat(32)}.mark`),
      JSON.stringify({ token: 't', pid: process.pid, host: hostname(), leaseMs: 600_000 }),
    );
    const [version] = byId(listing(), 'src/a.ts#slow').versions;
    expect(version?.marks).toEqual([expect.objectContaining({ pid: process.pid, host: hostname(), live: true })]);
    expect(version?.marks[0]?.leaseLeftMs).toBeGreaterThan(500_000);
    expect(cachierCli(['ls'], env).stdout).toMatch(new RegExp(`pid ${process.pid}@${hostname()}, 9m\\d+s left`));
  });

  test('a folder without a manifest (written by an older cachier) is listed by its folder name', () => {
    fill({ cacheDir }, [{ id: 'src/a.ts#legacy', count: 3 }]);
    const legacy = byId(listing(), 'src/a.ts#legacy');
    rmSync(join(legacy.versions[0]?.location ?? '', 'manifest.json'));
    const [listed] = listing();
    expect(listed).toMatchObject({ id: basename(legacy.location), sourceFile: null });
    expect(listed?.versions[0]).toMatchObject({ entries: 3, sourceHash: null, stale: null });
    expect(cachierJson<{ totalEntries: number }>(['show', basename(legacy.location)], env).totalEntries).toBe(3);
  });

  test('a function whose calls all threw is listed by its id, with no entries', () => {
    const boom = cachier(
      (): number => {
        throw new Error('upstream down');
      },
      { backend: 'file', cacheDir, id: 'src/boom.ts#boom', sourceHash: 'v1' },
    );
    expect(() => boom()).toThrow('upstream down');
    expect(byId(listing(), 'src/boom.ts#boom').versions[0]).toMatchObject({ entries: 0, sourceHash: 'v1' });
    expect(cachierJson<{ totalEntries: number }>(['show', 'src/boom.ts#boom'], env).totalEntries).toBe(0);
  });

  test('an empty or missing cache folder lists nothing and exits 0', () => {
    const run = cachierCli(['ls'], { CACHIER_DIR: join(cacheDir, 'none') });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('No caches in file ');
  });
});

describe('cachier show', () => {
  test("lists one function's versions and its entries, newest first", () => {
    fill({ cacheDir }, [
      { id: 'src/a.ts#one', count: 30, staleAfter: '1h' },
      { id: 'src/a.ts#two', count: 2 },
    ]);
    const shown = cachierJson<{ function: FunctionInfo; entries: Array<{ computedAt: number; stale: boolean }>; totalEntries: number }>(
      ['show', 'src/a.ts#one', '--limit', '0'],
      env,
    );
    expect(shown.function.id).toBe('src/a.ts#one');
    expect(shown.totalEntries).toBe(30);
    expect(shown.entries).toHaveLength(30);
    expect(shown.entries.every((entry) => entry.stale === false)).toBe(true);
    const times = shown.entries.map((entry) => entry.computedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const text = cachierCli(['show', 'src/a.ts#one'], env);
    expect(text.stdout).toContain('Entries (20 newest of 30; --limit 0 for all)');
    expect(text.stdout).toMatch(/v1\s+current/);
  });

  test('an id that matches nothing exits 3 naming it', () => {
    fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 1 }]);
    const run = cachierCli(['show', 'src/nothing.ts#here'], env);
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('no cached function matches src/nothing.ts#here');
  });
});

describe('cachier clear', () => {
  beforeEach(() => {
    fill({ cacheDir }, [
      { id: 'src/a.ts#one', count: 10 },
      { id: 'src/a.ts#two', count: 4 },
      { id: 'src/b.ts#three', count: 6 },
    ]);
  });

  test('removes the entries of the functions named and of no other, and reports the bytes freed', () => {
    const before = listing();
    const result = cachierJson<{ removed: RemovalJson[]; entries: number; bytes: number }>(['clear', 'src/a.ts#one', '--yes'], env);
    expect(result.entries).toBe(10);
    expect(result.bytes).toBe(byId(before, 'src/a.ts#one').versions[0]?.bytes);
    const after = listing();
    expect(byId(after, 'src/a.ts#one').versions[0]?.entries).toBe(0);
    expect(byId(after, 'src/a.ts#two').versions[0]?.entries).toBe(4);
    expect(byId(after, 'src/b.ts#three').versions[0]?.entries).toBe(6);
    // The cleared function computes again; the others are still served.
    expect(
      fill({ cacheDir }, [
        { id: 'src/a.ts#one', count: 10 },
        { id: 'src/a.ts#two', count: 4 },
      ]),
    ).toBe(10);
  });

  test('a pattern clears every function it matches', () => {
    const run = cachierCli(['clear', 'src/a.ts*', '--yes'], env);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Removed 14 entries');
    expect(listing().map((fn) => [fn.id, fn.versions[0]?.entries])).toEqual([
      ['src/a.ts#one', 0],
      ['src/a.ts#two', 0],
      ['src/b.ts#three', 6],
    ]);
  });

  test('an id holding glob characters is matched as it is', () => {
    fill({ cacheDir }, [{ id: 'src/a.ts#[w]{x}', count: 2 }]);
    const result = cachierJson<{ wouldRemove: RemovalJson[] }>(['clear', 'src/a.ts#[w]{x}', '--dry-run'], env);
    expect(result.wouldRemove.map((removal) => removal.functionId)).toEqual(['src/a.ts#[w]{x}']);
  });

  test('off a terminal it deletes nothing without --yes, and exits 4', () => {
    const files = filesIn(cacheDir);
    const run = cachierCli(['clear', '--all'], env);
    expect(run.status).toBe(4);
    expect(run.stderr).toContain('add --yes');
    expect(filesIn(cacheDir)).toEqual(files);
  });

  test('--dry-run says what would go and deletes nothing', () => {
    const files = filesIn(cacheDir);
    const result = cachierJson<{ dryRun: boolean; entries: number }>(['clear', '--all', '--dry-run'], env);
    expect(result).toMatchObject({ dryRun: true, entries: 20 });
    expect(filesIn(cacheDir)).toEqual(files);
  });

  test('--all with ids, or neither, is a usage error', () => {
    expect(cachierCli(['clear', '--all', 'src/a.ts#one', '--yes'], env).status).toBe(2);
    expect(cachierCli(['clear', '--yes'], env).stderr).toContain('or pass --all');
  });
});

describe('cachier prune', () => {
  /** A cache with one of everything prune removes, and as much it must keep. */
  function messyCache(): void {
    fill({ cacheDir }, [
      { id: 'src/a.ts#fresh', count: 10, staleAfter: '1h' },
      { id: 'src/a.ts#fresh', count: 5, from: 10, staleAfter: '1h', ageMs: 2 * HOUR },
      { id: 'src/b.ts#edited', count: 8, sourceHash: 'old' },
      { id: 'src/b.ts#edited', count: 3, sourceHash: 'new' },
      { id: 'src/c.ts#kept', count: 4 },
    ]);
    const functions = listing();
    const edited = byId(functions, 'src/b.ts#edited');
    const old = edited.versions.find((version) => version.sourceHash === 'old')?.location ?? '';
    ago(join(old, 'used'), 2 * 24 * HOUR);
    const fresh = byId(functions, 'src/a.ts#fresh').versions[0]?.location ?? '';
    // A mark whose lease ran out an hour ago, as a killed process leaves it.
    const mark = join(fresh, 'marks', `${'ab'.repeat(32)}.mark`);
    mkdirSync(join(fresh, 'marks'), { recursive: true });
    writeFileSync(mark, JSON.stringify({ token: 't', pid: 1, host: hostname(), leaseMs: 1000 }));
    ago(mark, HOUR);
    // A temp file of a writer killed before its rename, and trash of a killed clear.
    const shard = join(fresh, 'entries', readdirSync(join(fresh, 'entries'))[0] ?? '');
    const temp = join(shard, `${'c'.repeat(62)}.999-0-deadbeef.tmp`);
    writeFileSync(temp, 'partial');
    ago(temp, HOUR);
    const trash = join(byId(functions, 'src/c.ts#kept').location, '.trash-killed');
    mkdirSync(trash);
    writeFileSync(join(trash, 'entry'), 'x');
    ago(trash, HOUR);
  }

  test('removes exactly what it reports: old versions, stale entries, expired marks, leftovers', () => {
    messyCache();
    const before = filesIn(cacheDir);
    const planned = cachierJson<{ wouldRemove: RemovalJson[] }>(['prune', '--dry-run'], env).wouldRemove;
    expect(filesIn(cacheDir)).toEqual(before);

    const result = cachierJson<{ removed: RemovalJson[]; kept: RemovalJson[]; entries: number }>(['prune', '--yes'], env);
    expect(result.removed).toEqual(planned);
    expect(result.kept).toEqual([]);
    const count = (kind: string) => result.removed.filter((removal) => removal.kind === kind).length;
    expect([count('old version'), count('stale entry'), count('expired mark'), count('leftover')]).toEqual([1, 5, 1, 2]);
    expect(result.entries).toBe(8 + 5);

    const after = new Set(filesIn(cacheDir));
    const gone = before.filter((file) => !after.has(file));
    const targets = result.removed.map((removal) => relative(cacheDir, removal.target));
    const underATarget = (file: string) => targets.some((target) => file === target || file.startsWith(`${target}/`));
    expect(gone.every(underATarget)).toBe(true);
    expect(before.filter(underATarget)).toEqual(gone);
    expect([...after].every((file) => before.includes(file))).toBe(true);

    const functions = listing();
    expect(byId(functions, 'src/a.ts#fresh').versions[0]).toMatchObject({ entries: 10, stale: 0, marks: [], leftovers: 0 });
    expect(byId(functions, 'src/b.ts#edited').versions.map((version) => version.sourceHash)).toEqual(['new']);
    expect(byId(functions, 'src/c.ts#kept').versions[0]?.entries).toBe(4);
    expect(cachierJson<{ wouldRemove: RemovalJson[] }>(['prune', '--dry-run'], env).wouldRemove).toEqual([]);
  });

  test('after a clear, old versions holding no entry are not listed as 0 B removals', () => {
    fill({ cacheDir }, [
      { id: 'src/b.ts#edited', count: 4, sourceHash: 'old' },
      { id: 'src/b.ts#edited', count: 2, sourceHash: 'new' },
    ]);
    const old = byId(listing(), 'src/b.ts#edited').versions.find((version) => version.sourceHash === 'old')?.location ?? '';
    expect(cachierCli(['clear', '--all', '--yes'], env).status).toBe(0);
    ago(join(old, 'used'), 2 * 24 * HOUR);
    expect(cachierJson<{ wouldRemove: RemovalJson[] }>(['prune', '--dry-run'], env).wouldRemove).toEqual([]);
    expect(cachierCli(['prune', '--dry-run'], env).stdout).toContain('Nothing to prune.');
  });

  test('keeps old versions used recently, unless --unused-for says otherwise', () => {
    fill({ cacheDir }, [
      { id: 'src/b.ts#edited', count: 2, sourceHash: 'old' },
      { id: 'src/b.ts#edited', count: 2, sourceHash: 'new' },
    ]);
    expect(cachierJson<{ wouldRemove: RemovalJson[] }>(['prune', '--dry-run'], env).wouldRemove).toEqual([]);
    const removed = cachierJson<{ removed: RemovalJson[] }>(['prune', '--unused-for', '0ms', '--yes'], env).removed;
    expect(removed.map((removal) => [removal.kind, removal.entries])).toEqual([['old version', 2]]);
  });

  test('--stale-after judges entries of functions whose manifest has no staleAfter', () => {
    fill({ cacheDir }, [
      { id: 'src/c.ts#old', count: 3, ageMs: 3 * HOUR },
      { id: 'src/c.ts#old', count: 2, from: 3 },
    ]);
    expect(cachierJson<{ wouldRemove: RemovalJson[] }>(['prune', '--dry-run'], env).wouldRemove).toEqual([]);
    const planned = cachierJson<{ wouldRemove: RemovalJson[] }>(['prune', '--stale-after', '1h', '--dry-run'], env).wouldRemove;
    expect(planned.map((removal) => removal.kind)).toEqual(['stale entry', 'stale entry', 'stale entry']);
  });

  test('an entry rewritten fresh, or a mark taken over, between the plan and the removal stays', async () => {
    fill({ cacheDir }, [{ id: 'src/a.ts#busy', count: 50, staleAfter: '1h', ageMs: 2 * HOUR }]);
    const store = await openFileInspector({ cacheDir });
    const [busy] = await store.functions(undefined);
    const location = busy?.versions[0]?.location ?? '';
    const mark = join(location, 'marks', `${'cd'.repeat(32)}.mark`);
    mkdirSync(join(location, 'marks'), { recursive: true });
    writeFileSync(mark, JSON.stringify({ token: 'old', pid: 1, host: hostname(), leaseMs: 1000 }));
    ago(mark, HOUR);
    const [planned] = await store.functions(undefined);
    const removals = await store.prunePlan([planned as FunctionInfo], { staleAfterMs: undefined, unusedForMs: 24 * HOUR });
    expect(removals.map((removal) => removal.kind).sort()).toEqual(['expired mark', ...Array<string>(50).fill('stale entry')]);

    // Meanwhile a process recomputes keys 0-19 and another process (this one) claims the marked key.
    expect(fill({ cacheDir }, [{ id: 'src/a.ts#busy', count: 20, staleAfter: '1h', overwrite: true }])).toBe(20);
    writeFileSync(mark, JSON.stringify({ token: 'new', pid: process.pid, host: hostname(), leaseMs: 60_000 }));

    const outcome = await carryOut(createOutput({ json: true, color: false }), 'prune', removals);
    expect(outcome.kept.map((removal) => removal.kind).sort()).toEqual(['expired mark', ...Array<string>(20).fill('stale entry')]);
    expect(outcome.removed).toHaveLength(30);
    expect(JSON.parse(readFileSync(mark, 'utf8'))).toMatchObject({ token: 'new' });
    expect(byId(listing(), 'src/a.ts#busy').versions[0]).toMatchObject({ entries: 20, stale: 0 });
    // The kept entries are whole and fresh: served without computing.
    expect(fill({ cacheDir }, [{ id: 'src/a.ts#busy', count: 20, staleAfter: '1h' }])).toBe(0);
  });
});

describe('cachier verify', () => {
  test('reports unreadable entries (exit 1) and --fix removes exactly those', () => {
    fill({ cacheDir }, [
      { id: 'src/a.ts#one', count: 12 },
      { id: 'src/a.ts#two', count: 3 },
    ]);
    const entriesDir = join(byId(listing(), 'src/a.ts#one').versions[0]?.location ?? '', 'entries');
    const shard = readdirSync(entriesDir)[0] ?? '';
    const damaged = join(entriesDir, shard, readdirSync(join(entriesDir, shard))[0] ?? '');
    const bytes = readFileSync(damaged);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(damaged, bytes);

    const report = cachierJson<{ read: number; unreadable: RemovalJson[] }>(['verify'], env, 1);
    expect(report.read).toBe(15);
    expect(report.unreadable).toEqual([
      expect.objectContaining({
        kind: 'unreadable entry',
        functionId: 'src/a.ts#one',
        target: damaged,
        problem: 'truncated or damaged (checksum mismatch)',
      }),
    ]);
    const text = cachierCli(['verify'], env);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('15 entries of 2 functions: 1 unreadable');

    const fixed = cachierJson<{ removed: RemovalJson[] }>(['verify', '--fix', '--yes'], env);
    expect(fixed.removed.map((removal) => removal.target)).toEqual([damaged]);
    expect(() => statSync(damaged)).toThrow();
    expect(cachierCli(['verify'], env).status).toBe(0);
    expect(byId(listing(), 'src/a.ts#one').versions[0]?.entries).toBe(11);
  });
});

describe('cachier stats', () => {
  test("gives each function's bytes and share, and says where hit counts live", () => {
    fill({ cacheDir }, [
      { id: 'src/a.ts#big', count: 3, size: 3000 },
      { id: 'src/a.ts#small', count: 3 },
    ]);
    const stats = cachierJson<{ totalBytes: number; functions: Array<{ id: string; bytes: number; share: number; hits: null }> }>(
      ['stats'],
      env,
    );
    const big = stats.functions.find((fn) => fn.id === 'src/a.ts#big');
    expect(big?.share).toBeGreaterThan(0.9);
    expect(stats.functions.reduce((total, fn) => total + fn.bytes, 0)).toBe(stats.totalBytes);
    expect(big?.hits).toBeNull();
    expect(cachierCli(['stats'], env).stdout).toContain('fn.cacheInfo()');
  });

  test('entries and bytes count the same versions: old versions in both', () => {
    fill({ cacheDir }, [
      { id: 'src/b.ts#edited', count: 8, sourceHash: 'old', size: 500 },
      { id: 'src/b.ts#edited', count: 3, sourceHash: 'new', size: 500 },
    ]);
    const [edited] = cachierJson<{ functions: Array<{ entries: number; bytes: number; versions: number }> }>(['stats'], env).functions;
    const versions = byId(listing(), 'src/b.ts#edited').versions;
    expect(edited).toMatchObject({ entries: 11, versions: 2, bytes: versions.reduce((total, version) => total + version.bytes, 0) });
  });
});

describe('a shared file cache (shared: true, CACHIER_SHARED_KEY)', () => {
  const key = { CACHIER_SHARED_KEY: 'cli-test-shared-key-0123456789' };

  test('its healthy entries pass verify and survive verify --fix --yes; exactly the damaged ones go', () => {
    const previous = process.env['CACHIER_SHARED_KEY'];
    process.env['CACHIER_SHARED_KEY'] = key.CACHIER_SHARED_KEY;
    try {
      const square = cachier((x: number) => x * x, { backend: 'file', cacheDir, shared: true, id: 'src/team.ts#square', sourceHash: 'v1' });
      for (let x = 0; x < 5; x++) square(x);
    } finally {
      if (previous === undefined) delete process.env['CACHIER_SHARED_KEY'];
      else process.env['CACHIER_SHARED_KEY'] = previous;
    }
    const both = { ...env, ...key };
    expect(cachierJson<{ read: number; unreadable: RemovalJson[] }>(['verify'], both)).toEqual({ read: 5, unreadable: [] });
    expect(cachierCli(['verify', '--fix', '--yes'], both).status).toBe(0);
    const entries = filesIn(cacheDir).filter((file) => /[0-9a-f]{62}$/.test(file));
    expect(entries).toHaveLength(5);
    writeFileSync(join(cacheDir, entries[0] ?? ''), 'garbage');
    const fixed = cachierJson<{ removed: RemovalJson[] }>(['verify', '--fix', '--yes'], both, 0);
    expect(fixed.removed.map((removal) => removal.target)).toEqual([join(cacheDir, entries[0] ?? '')]);
    expect(filesIn(cacheDir).filter((file) => /[0-9a-f]{62}$/.test(file))).toEqual(entries.slice(1));
  });

  test('without its key, verify says to set it instead of calling signed entries unreadable', () => {
    const previous = process.env['CACHIER_SHARED_KEY'];
    process.env['CACHIER_SHARED_KEY'] = key.CACHIER_SHARED_KEY;
    try {
      cachier((x: number) => x + 1, { backend: 'file', cacheDir, shared: true, id: 'src/team.ts#next', sourceHash: 'v1' })(1);
    } finally {
      if (previous === undefined) delete process.env['CACHIER_SHARED_KEY'];
      else process.env['CACHIER_SHARED_KEY'] = previous;
    }
    const run = cachierCli(['verify', '--fix', '--yes'], { ...env, CACHIER_SHARED_KEY: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('CACHIER_SHARED_KEY');
    expect(filesIn(cacheDir).filter((file) => /[0-9a-f]{62}$/.test(file))).toHaveLength(1);
  });
});

describe('command line', () => {
  test('a reader that stops early (cachier ls | head) ends the command quietly', async () => {
    fill(
      { cacheDir },
      Array.from({ length: 40 }, (_, index) => ({ id: `src/many.ts#f${index}`, count: 1 })),
    );
    for (const command of ['ls', 'stats']) {
      const child = spawn(process.execPath, [CLI, command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ command, status, stderr }).toEqual({ command, status: 0, stderr: '' });
    }
  });

  test.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['ls', '--frobnicate'], "unknown option '--frobnicate'"],
    [['prune', '--stale-after', 'soon', '--dry-run'], '--stale-after'],
    [['show', 'x', '--limit', '-1'], '--limit'],
    [[], 'Usage: cachier'],
  ])('cachier %j is a usage error (exit 2) naming the problem', (args, message) => {
    const run = cachierCli(args, env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });

  test('--help and --version exit 0', () => {
    expect(cachierCli(['--help'], env)).toMatchObject({ status: 0, stdout: expect.stringContaining('prune') });
    expect(cachierCli(['--version'], env).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('no colours off a terminal', () => {
    fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 1 }]);
    expect(cachierCli(['ls'], env).stdout).not.toContain('\u001b[');
  });
});
