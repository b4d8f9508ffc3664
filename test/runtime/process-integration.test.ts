import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

// These run the built package (dist/), as users do; `npm test` builds first.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const support = join(root, 'test/support/runtime');

describe('the built package in a child process', () => {
  test('NODE_DEBUG=cachier prints each decision: a miss, then a hit', () => {
    const run = spawnSync(process.execPath, [join(support, 'debug-demo.mjs')], {
      env: { ...process.env, NODE_DEBUG: 'cachier' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    const decisions = run.stderr.trim().split('\n');
    expect(decisions).toHaveLength(2);
    expect(decisions[0]).toMatch(/^CACHIER \d+: debug-demo#double: key \S+: miss$/);
    expect(decisions[1]).toMatch(/^CACHIER \d+: debug-demo#double: key \S+: hit \(computed \d+ms ago\)$/);
  });

  test('without NODE_DEBUG nothing is printed', () => {
    const run = spawnSync(process.execPath, [join(support, 'debug-demo.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG: '' },
    });
    expect(run.status).toBe(0);
    expect(run.stderr + run.stdout).toBe('');
  });

  test('CommonJS code can require() the package', () => {
    const project = mkdtempSync(join(tmpdir(), 'cachier-cjs-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(root, join(project, 'node_modules', 'cachier'), 'dir');
    copyFileSync(join(support, 'require-from-cjs.cjs'), join(project, 'main.cjs'));
    const output = execFileSync(process.execPath, [join(project, 'main.cjs')], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ value: 16, calls: 1, errorClass: 'function' });
  });
});
