import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendTarget } from './targets.js';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/** What a machine process got for one argument, and which process computed it. */
export interface Computed {
  readonly x: number;
  readonly computedBy: string;
}

/** What {@link startProcess} hands `worker.mjs`: see its header. */
export interface ProcessConfig {
  readonly id: string;
  readonly tag: string;
  readonly countFile: string;
  readonly args: number[];
  readonly warmUp?: number[];
  readonly delayMs?: number;
  readonly lease?: string;
}

/** Starts one "machine" as a child process calling the cached function `id` with `args` (after `warmUp`). */
export function startProcess(target: Pick<BackendTarget, 'backend' | 'address'>, config: ProcessConfig) {
  const child = spawn(process.execPath, [WORKER, JSON.stringify({ backend: target.backend, address: target.address(), ...config })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const results = new Promise<Computed[]>((resolve, reject) => {
    child.on('exit', (code, signal) =>
      code === 0 ? resolve(JSON.parse(stdout) as Computed[]) : reject(new Error(`${config.tag} exited with ${code ?? signal}: ${stderr}`)),
    );
  });
  return { child, results };
}

/** Who ran the function body, in order, across every process. */
export const computations = (countFile: string): string[] =>
  existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').filter(Boolean) : [];
