import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A child Node process that speaks in lines: it prints "ready", waits for a
 * line on stdin, then prints one JSON line with its figures.
 */
export class LineChild {
  /**
   * @param {string} script
   * @param {string[]} args
   */
  constructor(script, args) {
    this.process = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    /** @type {string[]} */
    const lines = [];
    /** @type {((line: string) => void)[]} */
    const waiting = [];
    createInterface({ input: /** @type {import('node:stream').Readable} */ (this.process.stdout) }).on('line', (line) => {
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    });
    const exited = new Promise((_, reject) => {
      this.process.once('exit', (code, signal) => {
        if (code !== 0) reject(new Error(`bench: ${script} exited with ${signal ?? `code ${code}`}`));
      });
    });
    // Observed through nextLine; a child that exits early while nobody waits is not an unhandled rejection.
    exited.catch(() => undefined);
    /** @returns {Promise<string>} the child's next line of output */
    this.nextLine = () =>
      Promise.race([
        new Promise((resolve) => {
          const line = lines.shift();
          if (line !== undefined) resolve(line);
          else waiting.push(resolve);
        }),
        exited,
      ]);
  }

  /** Tells the child to start. */
  go() {
    this.process.stdin?.write('go\n');
  }

  /** Waits for the child's "ready" line. */
  async ready() {
    const line = await this.nextLine();
    if (line !== 'ready') throw new Error(`bench: expected "ready" from a child process, got ${line}`);
  }

  /** The child's JSON report. */
  async report() {
    return JSON.parse(/** @type {string} */ (await this.nextLine()));
  }
}
