import type { Backend, CachierOptions } from '../../../runtime/index.js';

/** The bucket the suites use on every S3 endpoint. */
export const TEST_BUCKET: string;

/** One machine of a backend: its own connection, the options using it, the round trips it made. */
export interface Machine {
  readonly options: CachierOptions;
  /** Names of the requests sent since the last call (commands, statements, S3 operations), then a new count. */
  roundTrips(): string[];
  close(): Promise<void>;
}

export function connectMachine(backend: Backend, address: string): Promise<Machine>;
