/*
 * The Node matrix: the runtime's tests run again under Node 22 and Node 24,
 * installed from npm into test/support/node-versions (`node22@npm:node@22`,
 * `node24@npm:node@24`, by the test setup), while the rest of the suite runs under the machine's
 * Node. Their child processes (workers, fault injection) run under the same
 * Node as their test, since they start `process.execPath`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { NODE } from '../support/node-versions/node-versions.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const CONFIG = join(ROOT, 'test', 'support', 'node-matrix', 'vitest.config.ts');

/** The runtime's test files: everything but the transformer, bundler and MongoDB suites. */
const RUNTIME_TESTS = [
  'test/runtime/keys.test.ts',
  'test/runtime/duration.test.ts',
  'test/runtime/options.test.ts',
  'test/runtime/semantics.test.ts',
  'test/runtime/controls.test.ts',
  'test/runtime/backends/file/core.test.ts',
  'test/runtime/backends/file/processes.test.ts',
  'test/runtime/backends/file/faults.test.ts',
  'test/runtime/backends/file/properties.test.ts',
  'test/runtime/process-integration.test.ts',
];

interface VitestReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly testResults: ReadonlyArray<{ readonly name: string; readonly status: string; readonly message: string }>;
}

describe.each(['node22', 'node24'] as const)('the runtime suite under %s', (version) => {
  const node = NODE[version === 'node22' ? 22 : 24];

  test('passes', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'cachier-matrix-')), 'report.json');
    const started = Date.now();
    // Only the JSON reporter, into a file of its own: the outer run's results file stays the outer run's.
    const output = await new Promise<string>((resolve) => {
      execFile(
        node,
        [VITEST, 'run', '--root', ROOT, '--config', CONFIG, ...RUNTIME_TESTS],
        { cwd: ROOT, env: { ...process.env, CACHIER_MATRIX_REPORT: report }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
        (_error, stdout, stderr) => resolve(stdout + stderr),
      );
    });
    expect(existsSync(report), output.slice(-4_000)).toBe(true);
    const results = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
    const failures = results.testResults.filter((file) => file.status !== 'passed').map((file) => `${file.name}: ${file.message}`);
    console.log(
      `${version} (${(await versionOf(node)).trim()}): ${results.numPassedTests} passed, ${results.numFailedTests} failed, ` +
        `${results.numPendingTests} skipped in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    expect(failures).toEqual([]);
    expect(results.numFailedTests).toBe(0);
    expect(results.numPassedTests).toBeGreaterThan(100);
  }, 660_000);
});

function versionOf(node: string): Promise<string> {
  return new Promise((resolve, reject) => execFile(node, ['--version'], (error, stdout) => (error ? reject(error) : resolve(stdout))));
}
