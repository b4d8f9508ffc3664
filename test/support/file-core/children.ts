import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/** What `worker.mjs` is told to do (see the comment at its top). */
export interface WorkerConfig {
  readonly cacheDir: string;
  readonly sideFile: string;
  readonly keys: readonly string[];
  readonly sync?: boolean;
  /** A sync computation spins on the CPU instead of sleeping. */
  readonly busy?: boolean;
  readonly computeMs?: number;
  readonly prefix?: string;
  readonly concurrency?: number;
  readonly options?: Record<string, unknown>;
  readonly waitForRefresh?: number;
  readonly padding?: number;
  readonly overwrite?: boolean;
}

/** What a worker printed: the value of each key, and the CachierWarnings it saw. */
export interface WorkerOutput {
  readonly results: string[];
  readonly warnings: string[];
}

/** A running worker process. */
export interface RunningWorker {
  readonly child: ChildProcess;
  /** Resolves with the output once the worker exits normally; rejects if it fails. */
  readonly done: Promise<WorkerOutput>;
  /** Resolves with the exit signal once the process is gone, however it ended. */
  readonly exited: Promise<NodeJS.Signals | null>;
}

/** Starts `worker.mjs` in a new Node process. */
export function startWorker(config: WorkerConfig, env: Record<string, string> = {}): RunningWorker {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const done = exited.then(({ code, signal }) => {
    if (code !== 0) throw new Error(`worker exited with ${code ?? signal}: ${stderr}`);
    return JSON.parse(stdout) as WorkerOutput;
  });
  // Callers that kill the worker never look at `done`; keep its rejection from going unhandled.
  done.catch(() => undefined);
  return { child, done, exited: exited.then(({ signal }) => signal) };
}

/** Runs a worker to completion. */
export function runWorker(config: WorkerConfig, env: Record<string, string> = {}): Promise<WorkerOutput> {
  return startWorker(config, env).done;
}

/** A fresh folder for one test's cache and side file. */
export function freshPlace(): { cacheDir: string; sideFile: string } {
  const root = mkdtempSync(join(process.env['CACHIER_DIR'] ?? tmpdir(), 'case-'));
  return { cacheDir: join(root, 'cache'), sideFile: join(root, 'computations.log') };
}

/** The computations recorded in a side file, as `[pid, key]` pairs. */
export function computations(sideFile: string): Array<[string, string]> {
  if (!existsSync(sideFile)) return [];
  return readFileSync(sideFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' ', 2) as [string, string]);
}

/** Resolves once `condition` holds, checking every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
