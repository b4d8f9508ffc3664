// Real servers for the shared backends, started on free loopback ports: a
// Debian redis-server, a Debian PostgreSQL cluster, and s3rver (an
// S3-compatible server from npm). Plain JavaScript, so that the vitest
// global setup, the suites and `npm run bench` start them the same way.
// Debian packages missing here are installed with apt-get when running as
// root, saying so on stderr.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The bucket s3rver creates for the suites. */
export const TEST_BUCKET = 'cachier-test';

/** @returns {Promise<number>} a TCP port on 127.0.0.1 that nothing listens on right now */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once something accepts connections on `port`; rejects after `timeoutMs`. */
async function waitForPort(port, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs}ms`);
}

/**
 * Installs Debian `packages` with apt-get unless `present()`; throws with the
 * reason when it cannot (not root, apt-get failed).
 */
function installWithApt(present, packages) {
  if (present()) return;
  const command = `apt-get install -y ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) throw new Error(`${packages.join(' ')} is not installed, and installing it needs root (${command})`);
  process.stderr.write(`cachier test servers: ${packages.join(' ')} is missing; running apt-get update && ${command}\n`);
  const update = spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  const install = spawnSync('apt-get', ['install', '-y', ...packages], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (update.status !== 0 || install.status !== 0 || !present()) throw new Error(`apt-get update && ${command} failed`);
}

/** Kills a child process and resolves once it has exited. */
function kill(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * Debian's redis-server with an append-only file, synced on every write by
 * default so that entries survive a kill; `fsyncEveryWrite: false` syncs once
 * a second, Redis' own default and what production servers run.
 */
export class TestRedisServer {
  #child;

  constructor(port, dir, fsyncEveryWrite) {
    this.port = port;
    this.dir = dir;
    this.fsyncEveryWrite = fsyncEveryWrite;
  }

  /** Where clients connect: a redis:// URL. */
  get address() {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start({ fsyncEveryWrite = true } = {}) {
    installWithApt(() => existsSync(REDIS_SERVER), ['redis-server']);
    const server = new TestRedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'cachier-redis-')), fsyncEveryWrite);
    await server.resume();
    return server;
  }

  /** Starts the server (again), on the same port. */
  async resume() {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      this.fsyncEveryWrite ? 'always' : 'everysec',
      '--dir',
      this.dir,
    ];
    this.#child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    await waitForPort(this.port);
  }

  /** Kills the server, as in a crash. */
  async stop() {
    const child = this.#child;
    this.#child = undefined;
    await kill(child);
  }
}

/** The newest Debian PostgreSQL's bin folder, if one is installed. */
function postgresBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'pg_ctl')));
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : join(root, newest, 'bin');
}

/** The uid and gid of the `postgres` user: PostgreSQL refuses to run as root. */
function postgresUser() {
  const id = (flag) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  if (uid.status !== 0) throw new Error(`PostgreSQL refuses to run as root and there is no 'postgres' user to run it (useradd postgres)`);
  return { uid: Number(uid.stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/**
 * Debian's PostgreSQL: `initdb` into a temp folder, `pg_ctl start` on a free
 * port, as the `postgres` user when this process is root. Trust
 * authentication, user `cachier`, database `postgres`.
 */
export class TestPostgresServer {
  constructor(port, bin, dataDir, user) {
    this.port = port;
    this.bin = bin;
    this.dataDir = dataDir;
    this.user = user;
  }

  /** Where clients connect: a postgres:// URL. */
  get address() {
    return `postgres://cachier@127.0.0.1:${this.port}/postgres`;
  }

  static async start() {
    installWithApt(() => postgresBin() !== undefined, ['postgresql']);
    const user = process.getuid?.() === 0 ? postgresUser() : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'cachier-postgres-'));
    if (user) chownSync(dir, user.uid, user.gid);
    const server = new TestPostgresServer(await freePort(), postgresBin(), join(dir, 'data'), user);
    server.#run('initdb', ['-D', server.dataDir, '-U', 'cachier', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await server.resume();
    return server;
  }

  /** Starts the cluster (again), on the same port. */
  async resume() {
    const options = `-p ${this.port} -k ${join(this.dataDir, '..')} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    this.#run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dataDir, '..', 'server.log'), '-w', 'start']);
  }

  /** Stops the cluster at once, as in a crash (connections are cut). */
  async stop() {
    this.#run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'], true);
  }

  #run(tool, args, tolerateFailure = false) {
    const result = spawnSync(join(this.bin, tool), args, { encoding: 'utf8', cwd: tmpdir(), ...(this.user ?? {}) });
    if (result.status !== 0 && !tolerateFailure)
      throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
  }
}

const S3RVER = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');

/** s3rver in a child process, objects kept on disk across restarts, with the bucket {@link TEST_BUCKET}. */
export class TestS3Server {
  #child;

  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
  }

  /** Where clients connect: the S3 endpoint URL. */
  get address() {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start() {
    const server = new TestS3Server(await freePort(), mkdtempSync(join(tmpdir(), 'cachier-s3-')));
    await server.resume();
    return server;
  }

  async resume() {
    const args = [S3RVER, '-d', this.dir, '-a', '127.0.0.1', '-p', String(this.port), '-s', '--configure-bucket', TEST_BUCKET];
    this.#child = spawn(process.execPath, args, { stdio: 'ignore' });
    await waitForPort(this.port);
  }

  async stop() {
    const child = this.#child;
    this.#child = undefined;
    await kill(child);
  }
}
