import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Proves the benchmark harness works end to end in quick mode (tiny budgets,
// figures meaningless): each scenario runs in its own process, prints its
// tables and writes well-formed results. No timing is asserted.
const run = promisify(execFile);
/** `statfs` type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const resultsDir = mkdtempSync(join(tmpdir(), 'cachier-bench-smoke-'));

afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

interface ResultFile {
  scenario: string;
  date: string;
  machine: { cores: number; node: string };
  quick: boolean;
  tables: {
    title: string;
    ours?: string;
    rows: { contender: string; value?: number; unavailable?: string; ratioToOurs?: number; beforeUs?: number; afterUs?: number }[];
  }[];
}

function readResult(scenario: string): ResultFile {
  return JSON.parse(readFileSync(join(resultsDir, `${scenario}.json`), 'utf8')) as ResultFile;
}

describe('npm run bench --quick', () => {
  it('runs the hit-cost, scaling and key-derivation scenarios and writes their tables, JSON and chart', async () => {
    const { stdout } = await run(process.execPath, ['bench/run.mjs', '--quick', 'hit-cost', 'scaling', 'key-derivation'], {
      env: { ...process.env, BENCH_RESULTS_DIR: resultsDir },
    });

    expect(stdout).toContain('## Hit, in memory, async function');
    expect(stdout).toContain('peer/ours');
    for (const scenario of ['hit-cost', 'scaling', 'key-derivation']) {
      const result = readResult(scenario);
      expect(result.scenario).toBe(scenario);
      expect(result.quick).toBe(true);
      expect(Number.isNaN(Date.parse(result.date))).toBe(false);
      expect(result.machine.node).toBe(process.version);
      for (const table of result.tables) {
        for (const row of table.rows) {
          // Every row has a figure or says why it has none.
          expect(row.unavailable !== undefined || (typeof row.value === 'number' && row.value > 0)).toBe(true);
        }
        const ours = table.rows.find((row) => row.contender === table.ours);
        if (ours?.value !== undefined) expect(ours.ratioToOurs).toBe(1);
      }
    }
    const svg = readFileSync(join(resultsDir, 'scaling.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<polyline');
  }, 120_000);

  it('runs the floors on disk and on the tmpfs and gathers every target in one summary', async () => {
    const { stdout } = await run(process.execPath, ['bench/run.mjs', '--quick', 'floors', 'cross-process'], {
      env: { ...process.env, BENCH_RESULTS_DIR: resultsDir, BENCH_DIR: '' },
    });

    const summary = stdout.slice(stdout.indexOf('# Targets:'));
    expect(summary).toMatch(/# Targets: \d+ met, \d+ missed \(quick mode: not enforced\)/);
    expect(summary).toContain('cross-process');
    expect(summary).toContain('file-core miss, sync function');
    const floorRuns = statfsSync('/dev/shm', { bigint: false }).type === TMPFS_MAGIC ? ['floors-disk', 'floors-tmpfs'] : ['floors-disk'];
    for (const scenario of floorRuns) {
      expect(summary).toContain(scenario);
      expect(readResult(scenario).tables.map((table) => table.title)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^Miss, small value/)]),
      );
    }
  }, 180_000);

  it('times awaits outside cached functions before and after cached calls, per Node version', async () => {
    const { stdout } = await run(process.execPath, ['bench/run.mjs', '--quick', 'await-cost'], {
      env: { ...process.env, BENCH_RESULTS_DIR: resultsDir },
    });

    expect(stdout).toContain(`awaits after cached calls, Node ${process.version.split('.')[0]}: <= 1.05x before`);
    const [table] = readResult('await-cost').tables;
    expect(table?.rows[0]).toMatchObject({ contender: `Node ${process.version}` });
    for (const { beforeUs = NaN, afterUs = NaN, value } of table?.rows ?? []) {
      expect(value).toBeCloseTo(afterUs / beforeUs, 6);
    }
  }, 60_000);

  it('names the scenarios it knows when asked for another', async () => {
    await expect(run(process.execPath, ['bench/run.mjs', 'no-such-scenario'])).rejects.toMatchObject({
      stderr: expect.stringContaining('choose from hit-cost, scaling, key-derivation, cross-process, cold-start, mongo'),
    });
  });
});
