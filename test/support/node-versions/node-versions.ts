import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const folder = dirname(fileURLToPath(import.meta.url));

/**
 * The Node binaries the tests use: the machine's (which runs the suite), and
 * Node 22 and 24 installed from npm into this folder, for tools that need a
 * newer Node (Babel 8, type stripping, ts-patch 4) and the runtime matrix.
 */
export const NODE = {
  20: process.execPath,
  22: join(folder, 'node_modules/node22/bin/node'),
  24: join(folder, 'node_modules/node24/bin/node'),
} as const;

/** Installs Node 22 and 24 from npm into this folder when they are missing (a fresh clone). */
export function ensureNodeVersions(): void {
  if (existsSync(NODE[22]) && existsSync(NODE[24])) return;
  console.log('cachier tests: installing Node 22 and 24 from npm into test/support/node-versions (once)');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel', 'error'], { cwd: folder, stdio: 'inherit' });
}
