import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: what `node_modules/cachier` points at in a fixture project. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const tspc = join(repoRoot, 'node_modules/.bin/tspc');

/** What a child process printed and how it ended. */
export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A user project assembled in a temporary folder from `fixtures/`, with
 * `node_modules/cachier` linked to this repository (its `dist/` built by
 * `npm test`), as a user who installed the package would have it.
 */
export class FixtureProject {
  readonly dir: string;
  private readonly callsFile: string;
  private callsSeen = 0;

  /** Copies the folders of `fixtures/` named in `layers` (later ones win) into a new project. */
  constructor(...layers: string[]) {
    this.dir = mkdtempSync(join(tmpdir(), 'cachier-fixture-'));
    for (const layer of layers) cpSync(join(repoRoot, 'fixtures', layer), this.dir, { recursive: true });
    mkdirSync(join(this.dir, 'node_modules'), { recursive: true });
    symlinkSync(repoRoot, join(this.dir, 'node_modules/cachier'), 'dir');
    symlinkSync(join(repoRoot, 'node_modules/@types'), join(this.dir, 'node_modules/@types'), 'dir');
    this.callsFile = join(this.dir, 'calls.log');
    writeFileSync(this.callsFile, '');
  }

  /** Builds the project with the real `tspc` (ts-patch) from this repository's `node_modules`. */
  compile(...args: string[]): Promise<ProcessResult> {
    return run(process.execPath, [tspc, '-p', this.dir, '--pretty', 'false', ...args], this.dir);
  }

  /** Builds the project with `tspc` running another TypeScript, e.g. `node_modules/typescript-6`. */
  compileWith(typescriptPath: string, ...args: string[]): Promise<ProcessResult> {
    return run(process.execPath, [tspc, '-p', this.dir, '--pretty', 'false', ...args], this.dir, {
      TSP_COMPILER_TS_PATH: join(repoRoot, typescriptPath),
    });
  }

  /** Runs `dist/<entry>` in a new Node process, with the project's own cache folder. */
  run(entry: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<ProcessResult> {
    return run(process.execPath, [join(this.dir, 'dist', entry), ...args], this.dir, {
      CALLS_FILE: this.callsFile,
      CACHIER_DIR: join(this.dir, '.cachier'),
      ...env,
    });
  }

  /** Names of the functions that really ran, in order, since the project was made. */
  calls(): string[] {
    return readFileSync(this.callsFile, 'utf8').split('\n').filter(Boolean);
  }

  /** Names of the functions that really ran since the last time this was asked, sorted. */
  newCalls(): string[] {
    const calls = this.calls();
    const added = calls.slice(this.callsSeen);
    this.callsSeen = calls.length;
    return added.sort();
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  write(path: string, text: string): void {
    writeFileSync(join(this.dir, path), text);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<ProcessResult> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}
