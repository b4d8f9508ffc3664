import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './fixture-project.js';

/** One diagnostic as tsserver reports it. */
export interface ServerDiagnostic {
  readonly start: { readonly line: number; readonly offset: number };
  readonly text: string;
  readonly code: number;
}

interface ServerResponse {
  readonly type: string;
  readonly request_seq?: number;
  readonly success?: boolean;
  readonly body?: unknown;
  readonly message?: string;
}

/**
 * A real tsserver process (the one editors run) from this repository's
 * TypeScript, spoken to over its stdin/stdout protocol. Plugins are looked up
 * in `pluginProbeLocation`'s `node_modules`, as an editor finds them in the
 * workspace.
 */
export class TsServer {
  private readonly server: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (response: ServerResponse) => void>();
  private buffer = '';
  private seq = 0;

  constructor(pluginProbeLocation: string) {
    this.server = spawn(process.execPath, [
      join(repoRoot, 'node_modules/typescript/lib/tsserver.js'),
      '--disableAutomaticTypingAcquisition',
      '--pluginProbeLocations',
      pluginProbeLocation,
    ]);
    this.server.stdout.setEncoding('utf8');
    this.server.stdout.on('data', (chunk: string) => this.receive(chunk));
  }

  /** Opens a file, as an editor does when the user opens it. */
  async open(file: string): Promise<void> {
    await this.request('open', { file });
  }

  /** The semantic diagnostics the editor would underline in `file`. */
  async semanticDiagnostics(file: string): Promise<ServerDiagnostic[]> {
    return (await this.request('semanticDiagnosticsSync', { file })) as ServerDiagnostic[];
  }

  close(): void {
    this.server.kill();
  }

  private request(command: string, args: object): Promise<unknown> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, (response) => (response.success ? resolve(response.body) : reject(new Error(response.message))));
      this.server.stdin.write(`${JSON.stringify({ seq, type: 'request', command, arguments: args })}\n`);
    });
  }

  /** Messages arrive as `Content-Length` headers followed by one JSON line each. */
  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n{'); ; end = this.buffer.indexOf('\n{')) {
      const lineEnd = end === -1 ? -1 : this.buffer.indexOf('\n', end + 1);
      if (lineEnd === -1) return;
      const message = JSON.parse(this.buffer.slice(end + 1, lineEnd)) as ServerResponse;
      this.buffer = this.buffer.slice(lineEnd + 1);
      if (message.type === 'response' && message.request_seq !== undefined) this.waiting.get(message.request_seq)?.(message);
    }
  }
}
