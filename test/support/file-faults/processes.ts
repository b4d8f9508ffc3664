import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));

/** A second user for the tests that need someone else: no such account needs to exist. */
export const OTHER_UID = 4242;

/** What `child.mjs` is told to do (see the comment at its top). */
export interface ChildConfig {
  readonly mode: 'mixed' | 'precache' | 'call';
  readonly cacheDir: string;
  readonly sideFile?: string;
  readonly key?: string;
  readonly keys?: readonly string[];
  readonly value?: unknown;
  readonly calls?: number;
  readonly clearOneIn?: number;
  readonly seed?: number;
  readonly computeMs?: number;
  readonly options?: Record<string, unknown>;
}

/** What a `call` child printed. */
export interface CallOutput {
  readonly value: unknown;
  readonly computed: number;
  /** How long the call took, measured in the child. */
  readonly ms: number;
  /** `Date.now()` in the child when the call returned, before the process exited. */
  readonly doneAt: number;
  readonly rssGrowthMB: number;
  readonly warnings: string[];
}

/** How to start a child: as another user, with more environment. */
export interface ChildOptions {
  readonly uid?: number;
  readonly env?: Record<string, string | undefined>;
  /** The child is killed after this long (the suite must stay bounded). */
  readonly timeoutMs?: number;
}

/** A running child. */
export interface RunningChild {
  readonly child: ChildProcess;
  /** Resolves with the parsed output once the child exits with 0; rejects otherwise. */
  readonly output: Promise<unknown>;
  /** Resolves once the process is gone, however it ended. */
  readonly exited: Promise<void>;
  /** What the child wrote to stderr so far. */
  stderr(): string;
}

/** Starts `child.mjs`, through `setpriv` when `uid` is given. */
export function startChild(config: ChildConfig, options: ChildOptions = {}): RunningChild {
  const node = [process.execPath, CHILD, JSON.stringify(config)];
  const [command, ...args] =
    options.uid === undefined ? node : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', ...node];
  const child = spawn(command as string, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  const output = closed.then(({ code, signal }) => {
    if (code !== 0) throw new Error(`child exited with ${code ?? signal}: ${stderr}`);
    return JSON.parse(stdout) as unknown;
  });
  output.catch(() => undefined);
  return { child, output, exited: closed.then(() => undefined), stderr: () => stderr };
}

/** Runs a `call` child to completion. */
export async function callInChild(config: Omit<ChildConfig, 'mode'>, options: ChildOptions = {}): Promise<CallOutput> {
  return (await startChild({ ...config, mode: 'call' }, options).output) as CallOutput;
}

/** Runs any child to completion. */
export function runChild(config: ChildConfig, options: ChildOptions = {}): Promise<unknown> {
  return startChild(config, options).output;
}

/**
 * A fresh folder that a second user can enter too (0755, owned by root), for
 * tests mixing users; plain tests use their own 0700 folder.
 */
export function openPlace(): string {
  const root = mkdtempSync(join(tmpdir(), 'cachier-faults-'));
  chmodSync(root, 0o755);
  return root;
}

/** Why this machine cannot run a test that needs `what`, or undefined if it can. */
export function whyNot(what: 'root' | 'setpriv' | 'mount'): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root to switch users and mount file systems';
  try {
    if (what === 'setpriv') execFileSync('setpriv', ['--reuid=4242', '--regid=4242', '--clear-groups', 'true'], { stdio: 'ignore' });
    if (what === 'mount') {
      const probe = mkdtempSync(join(tmpdir(), 'cachier-mount-probe-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
      execFileSync('umount', [probe]);
    }
  } catch (error) {
    return `cannot ${what === 'mount' ? 'mount a tmpfs' : 'run setpriv'} here: ${String((error as Error).message).split('\n')[0]}`;
  }
  return undefined;
}

/** Mounts a tmpfs of `sizeKB` at a new folder under `parent` and answers its path. */
export function mountTmpfs(parent: string, sizeKB: number): string {
  const mountPoint = join(parent, 'disk');
  mkdirSync(mountPoint);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKB}k,mode=0700`, 'tmpfs', mountPoint]);
  return mountPoint;
}

/** Remounts a mounted tmpfs read-only or read-write. */
export function remount(mountPoint: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, mountPoint]);
}

export function unmount(mountPoint: string): void {
  execFileSync('umount', ['-l', mountPoint]);
}

/** Every temporary (`*.tmp`) file under `folder`. */
export function tempFilesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.tmp'));
}
