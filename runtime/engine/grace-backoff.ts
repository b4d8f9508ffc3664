/**
 * The keys whose recomputation failed and was answered by a stale value within
 * `grace`: until its back-off ends (`graceBackoff` later, on the configured
 * clock), such a key's stale value is served at once, without calling the
 * function again.
 */
export class GraceBackoff {
  private readonly until = new Map<string, number>();

  start(key: string, endsAt: number): void {
    this.until.set(key, endsAt);
  }

  /** Whether `key` is backing off at `now`; an ended back-off is forgotten. */
  isActive(key: string, now: number): boolean {
    // Most calls find no key backing off at all: no lookup then.
    if (this.until.size === 0) return false;
    const endsAt = this.until.get(key);
    if (endsAt === undefined) return false;
    if (now < endsAt) return true;
    this.until.delete(key);
    return false;
  }

  /** Ends the back-off of `key`: its entry was just replaced. */
  end(key: string): void {
    if (this.until.size > 0) this.until.delete(key);
  }
}
