import { CachierError } from '../runtime/errors.js';

/**
 * The exit codes of the `cachier` command (also in docs/cli.md, "Exit codes").
 * Scripts can tell "found problems" from "could not look".
 */
export const EXIT = {
  /** Done; nothing wrong found. */
  ok: 0,
  /** `verify` found unreadable entries it did not remove, or `doctor` found something to fix. */
  problems: 1,
  /** An unknown command or option, a missing or bad argument. */
  usage: 2,
  /** No function matches the id or pattern given. */
  noMatch: 3,
  /** A deletion was declined at the prompt, or asked for off a terminal without `--yes`. */
  refused: 4,
  /** The cache could not be read or changed (folder unreadable, server unreachable, driver missing). */
  backend: 5,
  /** The folder given (`--dir`, `CACHIER_DIR`) is not a cachier cache: refused before anything was listed or removed. */
  notACache: 6,
} as const;

/** An error the command reports in one line and exits with `exitCode`. */
export class CliError extends CachierError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
