/** One computation of a key under way in this process, from the call of the function until its value is stored. */
export interface Computation {
  readonly key: string;
  /** Set by `forget()`: the value may come from what the caller asked to forget, so it is returned but not stored. */
  forgotten: boolean;
  /** Set once the value is being stored: `forget()` then waits for the store to end before it deletes. */
  storing: Promise<unknown> | undefined;
  /**
   * Stops renewing the computation's being-calculated mark and releases it,
   * so that the next caller computes instead of waiting for a value it would
   * not be served; absent when the computation holds no mark.
   */
  letGo: (() => unknown) | undefined;
}

/**
 * The computations under way in this process, by key, so that `forget()`
 * can keep them from storing a value computed before it was called: the
 * reason to forget a call is usually that what it read has changed.
 */
export class Computations {
  // One set of every computation, not a map by key: a miss then hashes no key, and forget(), rare, looks through them all.
  private readonly running = new Set<Computation>();

  /** Lists a new computation of `key` until {@link end}. */
  begin(key: string): Computation {
    const computation: Computation = { key, forgotten: false, storing: undefined, letGo: undefined };
    this.running.add(computation);
    return computation;
  }

  end(computation: Computation): void {
    this.running.delete(computation);
  }

  /**
   * Marks every computation of `key` under way as forgotten, so none stores
   * its value, and releases their marks; answers once the marks are released
   * and the stores already started have ended, after which deleting the key's
   * entry leaves nothing behind. Failures are left out: a mark not released
   * ends with its lease.
   */
  forget(key: string): Promise<unknown> | undefined {
    const pending: unknown[] = [];
    for (const computation of this.running) {
      if (computation.key !== key) continue;
      computation.forgotten = true;
      if (computation.storing) pending.push(computation.storing);
      else if (computation.letGo) pending.push(Promise.resolve().then(computation.letGo));
      computation.letGo = undefined;
    }
    return pending.length === 0 ? undefined : Promise.allSettled(pending);
  }
}
