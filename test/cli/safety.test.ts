import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import type { FunctionInfo } from '../../runtime/backends/shared/inspection.js';
import { cachierCli, cachierJson, fill } from '../support/cli/run.js';

// The command never touches what it did not write: pointed at a folder that
// is not a cachier cache (a mistyped --dir or CACHIER_DIR), every command
// refuses before listing or removing anything; inside a real cache it
// follows no symbolic link out.

const DAY = 24 * 3_600_000;
const NOT_A_CACHE = 6;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cachier-safety-'));
});

function write(path: string, text: string, ageMs = 0): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (ageMs > 0) utimesSync(path, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
}

function dateBack(path: string, ageMs: number): void {
  utimesSync(path, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
}

/** Every file, folder and link under `dir` with its content, link target and modification time. */
function snapshot(dir: string): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const facts = lstatSync(path);
    const what = facts.isSymbolicLink()
      ? `link ${readlinkSync(path)}`
      : facts.isDirectory()
        ? 'folder'
        : `file ${readFileSync(path, 'utf8')}`;
    seen[relative(dir, path)] = `${what} @${facts.mtimeMs}`;
  }
  return seen;
}

/** A home-like folder: projects with sources and node_modules, files dated back months, and links out. */
function homeLike(): { home: string; outside: string } {
  const home = join(root, 'home');
  const outside = join(root, 'outside');
  write(join(outside, 'precious.txt'), 'keep me', 90 * DAY);
  write(join(home, 'project/src/index.ts'), 'export const answer = 42;\n', 30 * DAY);
  write(join(home, 'project/package.json'), '{ "name": "project" }\n', 30 * DAY);
  write(join(home, 'project/node_modules/left-pad/index.js'), 'module.exports = () => {};\n', 400 * DAY);
  write(join(home, 'project/node_modules/.cache/some-tool/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd'), 'x', 10 * DAY);
  write(join(home, 'notes-0123456789abcdef/v1-0123456789abcdef/entries/ab/readme.md'), 'looks like a cache, is not', 10 * DAY);
  write(join(home, '.bashrc'), 'export PATH=$PATH\n', 100 * DAY);
  symlinkSync(outside, join(home, 'link-to-outside'));
  symlinkSync(join(outside, 'precious.txt'), join(home, 'project/src/linked.txt'));
  for (const folder of ['project/src', 'project/node_modules/left-pad', 'project/node_modules', 'project'])
    dateBack(join(home, folder), 60 * DAY);
  return { home, outside };
}

/** An /etc-like folder: sub-folders that an unguarded `ls` would list as functions. */
function etcLike(): string {
  const etc = join(root, 'etc');
  write(join(etc, 'apt/sources.list'), 'deb http://deb.debian.org/debian stable main\n', 200 * DAY);
  write(join(etc, 'X11/xorg.conf'), 'Section "Device"\n', 200 * DAY);
  write(join(etc, 'hostname'), 'box\n', 200 * DAY);
  return etc;
}

const EVERY_COMMAND: ReadonlyArray<readonly string[]> = [
  ['ls'],
  ['ls', '--json'],
  ['show', 'project'],
  ['stats'],
  ['clear', '--all', '--yes'],
  ['clear', '*', '--yes'],
  ['clear', '--all', '--dry-run'],
  ['prune', '--yes'],
  ['prune', '--yes', '--unused-for', '0s', '--stale-after', '0s'],
  ['verify'],
  ['verify', '--fix', '--yes'],
];

describe('a folder that is not a cachier cache', () => {
  test('every command, given it by --dir or CACHIER_DIR, refuses (exit 6) and changes nothing', () => {
    const { home, outside } = homeLike();
    const etc = etcLike();
    const before = { home: snapshot(home), outside: snapshot(outside), etc: snapshot(etc) };
    for (const folder of [home, etc, join(home, 'project'), join(home, 'project/node_modules')]) {
      for (const command of EVERY_COMMAND) {
        const runs = [
          cachierCli(['--dir', folder, ...command]),
          ...(folder === home ? [cachierCli([...command], { CACHIER_DIR: folder })] : []),
        ];
        for (const run of runs) {
          expect({ command, folder, status: run.status, stdout: run.stdout }).toEqual({ command, folder, status: NOT_A_CACHE, stdout: '' });
          expect(run.stderr).toContain(`${folder} is not a cachier cache folder`);
          expect(run.stderr).toContain('nothing was listed or removed');
        }
      }
    }
    expect({ home: snapshot(home), outside: snapshot(outside), etc: snapshot(etc) }).toEqual(before);
  }, 240_000); // about 40 runs of the command, one after another: slow on a loaded machine

  test('a cache folder the file backend created carries a CACHEDIR.TAG naming cachier', () => {
    const cacheDir = join(root, 'cache');
    fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 2 }]);
    expect(readFileSync(join(cacheDir, 'CACHEDIR.TAG'), 'utf8')).toMatch(
      /^Signature: 8a477f597d28d172789f06886806bc55\n.*created by cachier/,
    );
  });

  test('a cache made before the marker is recognised by its layout; a stranger file in it makes it refused', () => {
    const cacheDir = join(root, 'cache');
    fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 2 }]);
    rmSync(join(cacheDir, 'CACHEDIR.TAG'));
    expect(cachierJson<{ functions: FunctionInfo[] }>(['ls'], { CACHIER_DIR: cacheDir }).functions.map((fn) => fn.id)).toEqual([
      'src/a.ts#one',
    ]);
    write(join(cacheDir, 'todo.txt'), 'mine');
    const run = cachierCli(['prune', '--yes'], { CACHIER_DIR: cacheDir });
    expect(run.status).toBe(NOT_A_CACHE);
    expect(run.stderr).toContain('todo.txt is not a function folder of the cache');
  });
});

describe('inside a cache', () => {
  test('no command follows a symbolic link out of the cache, whatever it is named', () => {
    const cacheDir = join(root, 'cache');
    const { home, outside } = homeLike();
    fill({ cacheDir }, [{ id: 'src/a.ts#one', count: 3, staleAfter: '1s', ageMs: DAY }]);
    const [fn] = cachierJson<{ functions: FunctionInfo[] }>(['ls'], { CACHIER_DIR: cacheDir }).functions;
    const version = fn?.versions[0]?.location ?? '';
    // Links named as the layout names its folders, pointing at ordinary files and folders.
    symlinkSync(join(home, 'project'), join(cacheDir, 'project-0123456789abcdef'));
    symlinkSync(outside, join(fn?.location ?? '', 'v9-0123456789abcdef'));
    rmSync(join(version, 'marks'), { recursive: true, force: true });
    symlinkSync(outside, join(version, 'marks'));
    write(join(outside, `${'ab'.repeat(32)}.mark`), '{}', DAY);
    write(join(outside, 'x.1.tmp'), 'partial', DAY);
    const shard = join(version, 'entries', readdirSync(join(version, 'entries'))[0] ?? '');
    symlinkSync(join(outside, 'precious.txt'), join(shard, 'c'.repeat(62)));
    const before = { home: snapshot(home), outside: snapshot(outside) };

    for (const command of [
      ['prune', '--yes', '--unused-for', '0s', '--stale-after', '0s'],
      ['verify', '--fix', '--yes'],
      ['clear', '--all', '--yes'],
    ]) {
      const run = cachierCli(command, { CACHIER_DIR: cacheDir });
      expect({ command, status: run.status, stderr: run.stderr }).toEqual({ command, status: 0, stderr: '' });
    }
    expect({ home: snapshot(home), outside: snapshot(outside) }).toEqual(before);
    expect(
      cachierJson<{ functions: FunctionInfo[] }>(['ls'], { CACHIER_DIR: cacheDir }).functions.map((item) => [
        item.id,
        item.versions.map((v) => v.entries),
      ]),
    ).toEqual([['src/a.ts#one', [0]]]);
  });
});
