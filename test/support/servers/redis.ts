import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, installWithApt, waitForPort } from './ports.js';

const REDIS_SERVER = '/usr/bin/redis-server';

/** A Debian `redis-server` on a free loopback port, stoppable and restartable on the same port. */
export class TestRedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server, installing `redis-server` with apt-get first if missing; throws with the reason if it cannot. */
  static async start(): Promise<TestRedisServer> {
    const missing = installWithApt(REDIS_SERVER, ['redis-server']);
    if (missing) throw new Error(missing);
    const server = new TestRedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'cachier-redis-')));
    await server.resume();
    return server;
  }

  /** Starts the server again after {@link TestRedisServer.stop}, on the same port. */
  async resume(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir], {
      stdio: 'ignore',
    });
    this.child = child;
    await waitForPort(this.port);
  }

  /** Kills the server, as in a crash (entries survive: the append-only file is synced on every write). */
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
