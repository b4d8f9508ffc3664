import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, installWithApt } from './ports.js';

/** The newest Debian PostgreSQL's bin folder, if one is installed. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'pg_ctl')));
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : join(root, newest, 'bin');
}

/**
 * A Debian PostgreSQL cluster in a temp folder on a free loopback port, run
 * by the `postgres` user when this process is root (PostgreSQL refuses root).
 */
export class TestPostgresServer {
  private constructor(
    readonly port: number,
    private readonly bin: string,
    private readonly dataDir: string,
    private readonly user: { name: string; uid: number; gid: number } | undefined,
  ) {}

  get url(): string {
    return `postgres://cachier@127.0.0.1:${this.port}/postgres`;
  }

  /** Creates and starts a cluster, installing `postgresql` with apt-get first if missing; throws with the reason if it cannot. */
  static async start(): Promise<TestPostgresServer> {
    let bin = postgresBin();
    if (!bin) {
      const missing = installWithApt('/usr/lib/postgresql', ['postgresql']);
      if (missing) throw new Error(missing);
      bin = postgresBin();
      if (!bin) throw new Error('apt-get installed postgresql but no /usr/lib/postgresql/*/bin/pg_ctl was found');
    }
    const user = process.getuid?.() === 0 ? lookupUser('postgres') : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'cachier-postgres-'));
    if (user) chownSync(dir, user.uid, user.gid);
    const server = new TestPostgresServer(await freePort(), bin, join(dir, 'data'), user);
    server.run('initdb', ['-D', server.dataDir, '-U', 'cachier', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await server.resume();
    return server;
  }

  /** Starts the cluster (again), on the same port. */
  async resume(): Promise<void> {
    const options = `-p ${this.port} -k ${join(this.dataDir, '..')} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    this.run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dataDir, '..', 'server.log'), '-w', 'start']);
  }

  /** Stops the cluster at once, as in a crash (connections are cut). */
  async stop(): Promise<void> {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'], true);
  }

  private run(tool: string, args: string[], tolerateFailure = false): void {
    const result = spawnSync(join(this.bin, tool), args, {
      encoding: 'utf8',
      ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}),
      cwd: tmpdir(),
    });
    if (result.status !== 0 && !tolerateFailure) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
  }
}

function lookupUser(name: string): { name: string; uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid === 0 || Number.isNaN(uid)) {
    throw new Error(`PostgreSQL refuses to run as root and there is no '${name}' user to run it (useradd ${name}); current user ${userInfo().username}`);
  }
  return { name, uid, gid: id('-g') };
}
