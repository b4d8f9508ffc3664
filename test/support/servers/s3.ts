import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';

/** The bucket the suites use on every S3 endpoint. */
export const TEST_BUCKET = 'cachier-test';

const S3RVER = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');

/** An s3rver (S3-compatible server from npm) in a child process on a free loopback port, objects kept on disk across restarts. */
export class TestS3Server {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestS3Server> {
    const server = new TestS3Server(await freePort(), mkdtempSync(join(tmpdir(), 'cachier-s3-')));
    await server.resume();
    return server;
  }

  async resume(): Promise<void> {
    this.child = spawn(
      process.execPath,
      [S3RVER, '-d', this.dir, '-a', '127.0.0.1', '-p', String(this.port), '-s', '--configure-bucket', TEST_BUCKET],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
