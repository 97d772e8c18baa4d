/**
 * Joins identical work while it is in flight: the first caller of a key starts it, every caller
 * arriving before it settles awaits the same promise, and the key is forgotten the moment it
 * settles (nothing is cached past that). Callers share what the promise resolves to, so it must be
 * something nobody mutates — raw response text each caller parses for itself, or bytes to write.
 */
export class InFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();

  get size(): number {
    return this.pending.size;
  }

  /** `joined` is true when another caller's work was already running for this key. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const running = this.pending.get(key);
    if (running) return { promise: running, joined: true };
    const promise = work().finally(() => {
      if (this.pending.get(key) === promise) this.pending.delete(key);
    });
    this.pending.set(key, promise);
    return { promise, joined: false };
  }
}

/**
 * The outbound key: one subgraph request is shareable only with callers presenting the same
 * credentials (the forwarded Authorization header: a subgraph authorises each field by it) and
 * sending the very same body (query, variables, operation name, extensions, byte for byte).
 */
export const upstreamKey = (authorization: string | undefined, body: string) => `${authorization ?? ''}\n${body}`;
