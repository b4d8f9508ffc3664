import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The built command, as `npx cachier` runs it. */
export const CLI = join(root, 'dist/cli/main.js');
const FILL = join(root, 'test/support/cli/fill.mjs');

/** One function for {@link fill}. */
export interface FillSpec {
  readonly id: string;
  readonly count: number;
  readonly sourceHash?: string;
  readonly from?: number;
  readonly staleAfter?: string;
  /** Entries are dated this long ago (an injected clock). */
  readonly ageMs?: number;
  /** Characters per value. */
  readonly size?: number;
  readonly overwrite?: boolean;
}

/** Where {@link fill} stores: a file cache folder, a mongo collection or a Redis server. */
export type FillTarget =
  | { readonly cacheDir: string }
  | { readonly mongo: { uri: string; database: string; collection: string } }
  | { readonly redis: string };

function fillArgs(target: FillTarget, functions: readonly FillSpec[]): string[] {
  return [FILL, JSON.stringify({ ...target, functions })];
}

/** Fills caches through real cached calls in a child process; answers how many computations ran. */
export function fill(target: FillTarget, functions: readonly FillSpec[]): number {
  const run = spawnSync(process.execPath, fillArgs(target, functions), { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`fill failed: ${run.stderr}`);
  return Number(run.stdout);
}

/** What a run of the command printed and how it exited. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cachier ...args` as a child process, off a terminal. */
export function cachierCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): CliRun {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs the command and parses its `--json` output, failing with its stderr if it exited otherwise than `status`. */
export function cachierJson<T>(args: readonly string[], env: Readonly<Record<string, string>> = {}, status = 0): T {
  const run = cachierCli([...args, '--json'], env);
  if (run.status !== status) throw new Error(`cachier ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
