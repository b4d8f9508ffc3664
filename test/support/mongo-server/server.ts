import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Storage } from './collection.js';
import { runCommand } from './commands.js';
import { decodeMessage, encodeReply, splitMessages } from './wire.js';

/**
 * A small MongoDB-compatible server for tests only: the real `mongodb` driver
 * connects to it over loopback TCP. Data lives in memory and survives
 * {@link TestMongoServer.stop} and {@link TestMongoServer.start}, as a real
 * server's data survives a restart.
 *
 * @example
 * ```ts
 * const server = await TestMongoServer.start();
 * const client = new MongoClient(server.uri);
 * await server.stop(); // the client's next operations fail
 * await server.start(); // and succeed again, on the same port
 * ```
 */
export class TestMongoServer {
  private readonly storage = new Storage();
  private readonly sockets = new Set<Socket>();
  private listener: Server | undefined;
  private nextConnectionId = 1;

  private constructor(private port: number) {}

  /** Starts a server on `port` (default: a free port chosen by the system). */
  static async start(port = 0): Promise<TestMongoServer> {
    const server = new TestMongoServer(port);
    await server.start();
    return server;
  }

  /** A connection string for this server. */
  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/?directConnection=true`;
  }

  /** Whether the server accepts connections. */
  get running(): boolean {
    return this.listener !== undefined;
  }

  /** Listens again (on the same port once one was chosen); stored data is kept. */
  async start(): Promise<void> {
    if (this.listener) return;
    const listener = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (listener.address() as AddressInfo).port;
    this.listener = listener;
  }

  /** Stops listening and drops every open connection, as a crashed or stopped server would. */
  async stop(): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    this.listener = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const context = { storage: this.storage, connectionId: this.nextConnectionId++ };
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      try {
        const { messages, rest } = splitMessages(pending.length === 0 ? chunk : Buffer.concat([pending, chunk]));
        pending = rest;
        for (const message of messages) {
          const request = decodeMessage(message);
          const reply = runCommand(request.command, context);
          if (!request.noReply) socket.write(encodeReply(request, reply));
        }
      } catch {
        // A message this server cannot parse: drop the connection, as a real server would.
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }
}
