/**
 * An in-process queue per key: work that names a key waits for every earlier work of this process
 * that named it, while work on other keys runs in parallel. The one per-key queue of the exchange
 * (billing's call turns in front of their database leases, its slot claims). It orders this
 * process only; across processes a lease or a unique insert decides.
 *
 * Not re-entrant: work must not take a turn on a key it already holds.
 */
export class KeyedTurns {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once no earlier run of this queue holds any of `keys`. */
  async run<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return work();
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    // Registered for every key synchronously: runs are totally ordered by registration, so two
    // runs never wait on each other (no deadlock whatever their key sets).
    const before = unique.map((k) => this.tails.get(k));
    for (const k of unique) this.tails.set(k, done);
    try {
      await Promise.all(before);
      return await work();
    } finally {
      release();
      for (const k of unique) if (this.tails.get(k) === done) this.tails.delete(k);
    }
  }

  /** Keys some run holds or waits for (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
