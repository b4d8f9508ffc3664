import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export { NODE } from '../node-versions/node-versions.js';

/** What a child process printed and how it ended. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, for messages a tool may print on either. */
  readonly output: string;
}

/** Runs a command to its end (never throws for a non-zero exit). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeout?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(
      command,
      [...args],
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeout ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr, output: stdout + stderr });
      },
    );
  });
}

/** The native parser the rewrite reads modules with, an optional peer of `cachier` (the version this repository tests with). */
export const OXC_PARSER = '0.160.0';

/** A user's project in an empty temporary folder that installs the packed `cachier` tarball and its tools from the npm registry. */
export class RouteProject {
  readonly dir: string;
  readonly cacheDir: string;
  /** Where the fixture's functions note each real computation (`CALLS_FILE`). */
  readonly callsFile: string;

  constructor(name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `cachier-route-${name}-`));
    this.cacheDir = join(this.dir, '.cachier');
    this.callsFile = join(this.dir, 'calls.log');
  }

  /**
   * Writes `package.json` with the tarball and `dependencies`, then `npm install`s them (with `node` first on the PATH, when given).
   * The rewrite's parser (`oxc-parser`, which every route needs) comes too, unless `dependencies` maps it to `null`.
   */
  async install(
    tarball: string,
    dependencies: Record<string, string | null>,
    packageJson: Record<string, unknown> = {},
    node: string = process.execPath,
  ): Promise<void> {
    const wanted = Object.entries({ 'oxc-parser': OXC_PARSER, ...dependencies }).filter(
      (entry): entry is [string, string] => entry[1] !== null,
    );
    this.write(
      'package.json',
      JSON.stringify(
        {
          name: 'route-fixture',
          private: true,
          version: '1.0.0',
          ...packageJson,
          dependencies: { cachier: `file:${tarball}`, ...Object.fromEntries(wanted) },
        },
        null,
        2,
      ),
    );
    const result = await runCommand('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'error'], {
      cwd: this.dir,
      env: { PATH: `${dirname(node)}:${process.env['PATH'] ?? ''}` },
    });
    if (result.code !== 0) throw new Error(`npm install failed in ${this.dir}:\n${result.output}`);
  }

  /** Runs a command in the project, with the project's cache folder, its calls file and `node_modules/.bin` on the PATH. */
  run(
    command: string,
    args: readonly string[] = [],
    env: Record<string, string> = {},
    node: string = process.execPath,
  ): Promise<RunResult> {
    return runCommand(command, args, {
      cwd: this.dir,
      env: {
        CACHIER_DIR: this.cacheDir,
        CALLS_FILE: this.callsFile,
        PATH: `${join(this.dir, 'node_modules/.bin')}:${dirname(node)}:${process.env['PATH'] ?? ''}`,
        NODE_OPTIONS: '',
        ...env,
      },
    });
  }

  /** Runs `node` (the given binary) with `args` in the project. */
  node(args: readonly string[], node: string = process.execPath, env: Record<string, string> = {}): Promise<RunResult> {
    return this.run(node, args, env, node);
  }

  write(path: string, text: string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), text);
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
