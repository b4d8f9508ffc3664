import { randomUUID } from 'node:crypto';
import type { CoreLog } from '../../core.js';
import { withDeadline } from '../../resilience/deadline.js';

/**
 * How a local tier learns that other processes changed entries it holds
 * copies of. Each shared backend declares one in its descriptor: a push
 * channel (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) or a per-function
 * generation checked at most every {@link GENERATION_CHECK_MS} (MongoDB, S3).
 */
export interface InvalidationChannel {
  /**
   * Tells the other processes that this one changed `key` (`undefined`: every
   * entry of the function); resolves once the message is out.
   */
  announce(key: string | undefined): Promise<void>;
  /**
   * Whether local copies may be served and kept now: `true`; `false` while
   * the channel cannot promise to report changes (not subscribed yet); or a
   * promise of the answer when the channel must look for changes first (a
   * generation due for a check), having dropped what changed.
   */
  ready(): boolean | Promise<boolean>;
}

/** The local copies a channel drops when it learns of changes. */
export interface LocalCopies {
  /** Drops the copy of `key` (as the backend stores it, the digest), or every copy (`undefined`). */
  drop(key: string | undefined): void;
  /** A mark of this moment, for {@link LocalCopies.dropOlderThan}. */
  mark(): number;
  /** Drops the copies read or stored before `mark` was taken. */
  dropOlderThan(mark: number): void;
}

/** What a backend's channel is built from. */
export interface InvalidationSettings {
  readonly functionId: string;
  readonly sourceHash: string;
  /** The backend's connection option, as given (a client, pool, bucket location or mongetter, or a function answering one). */
  readonly connection: unknown;
  readonly log: CoreLog;
  /** cachier's deadline on each of the channel's operations (`backendTimeout`), in milliseconds. */
  readonly timeoutMs: number;
  /** The copies the channel keeps consistent. */
  readonly copies: LocalCopies;
}

/** Builds a backend's {@link InvalidationChannel} for one function. */
export type InvalidationFactory = (settings: InvalidationSettings) => InvalidationChannel;

/** This process among the others on a channel: a process ignores the messages it sent itself. */
export const PROCESS_ORIGIN = randomUUID();

/**
 * How often, at most, a generation channel (MongoDB, S3) reads the function's
 * generation: after another process's store, clear or forget has returned, this
 * process serves the old copy for at most this long. A documented constant (see
 * docs/local-tier.md): each check is one round trip on a hit.
 */
export const GENERATION_CHECK_MS = 1000;

/** Reads and writes one function's generation token in a backend without push messages. */
export interface GenerationStore {
  /** The current token, `undefined` when there is none. */
  read(): Promise<string | undefined>;
  /** Replaces the token. */
  write(token: string): Promise<void>;
}

/**
 * A channel over a per-function generation token: every change writes a new
 * random token; a process reads it before serving a copy once
 * {@link GENERATION_CHECK_MS} has passed since its last look, and drops its
 * copies when the token is not the one it knew. When it finds its own last
 * token, every other write came before it, so only copies taken before that
 * write finished may be old. A failed look keeps the copies (a backend outage
 * does not stop local hits) and is retried after the same interval.
 */
export function generationChannel(store: GenerationStore, settings: InvalidationSettings): InvalidationChannel {
  const { copies, log } = settings;
  let known: string | undefined;
  let checkedAt = -Infinity;
  let everChecked = false;
  let ownToken: string | undefined;
  let ownMark = 0;
  let checking: Promise<boolean> | undefined;

  const check = async (): Promise<boolean> => {
    const started = Date.now();
    try {
      // A hit waits for this look: a hung server must not hang it.
      const token = await withDeadline(
        'cache',
        'a look at the generation',
        () => store.read(),
        () => settings.timeoutMs,
      );
      if (token !== known) {
        if (token !== undefined && token === ownToken) copies.dropOlderThan(ownMark);
        else copies.drop(undefined);
        known = token;
      }
      everChecked = true;
    } catch (error) {
      log.debug(`could not read the generation, local copies are served as they are: ${String(error)}`);
    }
    checkedAt = started;
    return everChecked;
  };

  return {
    async announce() {
      const token = randomUUID();
      await store.write(token);
      ownToken = token;
      ownMark = copies.mark();
    },
    ready() {
      if (Date.now() - checkedAt < GENERATION_CHECK_MS) return everChecked;
      checking ??= check().finally(() => (checking = undefined));
      return checking;
    },
  };
}
