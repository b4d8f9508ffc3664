import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { CLI, fill } from '../support/cli/run.js';

// The command on a real pseudo-terminal, through util-linux's `script`: the
// progress bar and the confirmation prompt only appear there.

const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
const CLEAR_LINE = '\u001b[2K';

beforeAll(() => {
  // Debian ships `script` in bsdutils (util-linux); install it where it is missing.
  if (spawnSync('script', ['--version']).status !== 0) {
    spawnSync('apt-get', ['install', '-y', 'bsdutils'], { stdio: 'ignore' });
  }
});

/** Runs `cachier ...args` on a pseudo-terminal, typing `answer` after a second if given. */
function onTerminal(
  cacheDir: string,
  args: string,
  answer?: string,
  extraEnv: Record<string, string> = {},
): { status: number | null; screen: string } {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args}`;
  const typed = answer === undefined ? '' : `sleep 1; printf '${answer}\\n'`;
  const run = spawnSync('sh', ['-c', `(${typed || 'true'}) | script -q -e -c '${command}' /dev/null`], {
    encoding: 'utf8',
    env: { ...process.env, CACHIER_DIR: cacheDir, COLUMNS: '120', ...extraEnv },
  });
  return { status: run.status, screen: run.stdout };
}

const entryCount = (cacheDir: string) =>
  readdirSync(cacheDir, { recursive: true }).filter((name) => /[0-9a-f]{62}$/.test(String(name))).length;

test('prune draws a progress bar on a terminal, then clears it, shows the cursor and prints the summary', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-tty-'));
  fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 2000, staleAfter: '1h', ageMs: 2 * 3_600_000 }]);
  const { status, screen } = onTerminal(cacheDir, 'prune --yes');
  expect(status).toBe(0);
  const firstBar = screen.indexOf('prune [');
  expect(firstBar).toBeGreaterThan(0);
  expect(screen).toMatch(/prune \[[░█]+\] 0% 0\/2000/);
  expect(screen).toMatch(/prune \[█+\] 100% 2000\/2000/);
  // The cursor is hidden while the bar runs and shown again; the bar's line is cleared before the summary.
  expect(screen.indexOf(HIDE_CURSOR)).toBeLessThan(firstBar);
  const end = screen.lastIndexOf(SHOW_CURSOR);
  expect(end).toBeGreaterThan(screen.lastIndexOf('prune ['));
  const summary = screen.indexOf('Removed 2000 entries');
  expect(screen.lastIndexOf(CLEAR_LINE, summary)).toBeGreaterThan(end);
  expect(screen.slice(summary)).not.toContain('prune [');
  expect(entryCount(cacheDir)).toBe(0);
});

test('on a terminal clear asks first, and only yes deletes', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-tty-'));
  fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 30 }]);
  const declined = onTerminal(cacheDir, 'clear --all', 'n');
  expect(declined.screen).toContain('Remove 30 entries (');
  expect(declined.screen).toContain('nothing deleted');
  expect(declined.status).toBe(4);
  expect(entryCount(cacheDir)).toBe(30);

  const accepted = onTerminal(cacheDir, 'clear --all', 'y');
  expect(accepted.status).toBe(0);
  expect(accepted.screen).toContain('Removed 30 entries');
  expect(entryCount(cacheDir)).toBe(0);
});

test('colours on a terminal, none with NO_COLOR', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-tty-'));
  fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 1 }]);
  expect(onTerminal(cacheDir, 'ls').screen).toContain('\u001b[1mfunction');
  expect(onTerminal(cacheDir, 'ls', undefined, { NO_COLOR: '1' }).screen).not.toContain('\u001b[1m');
});
