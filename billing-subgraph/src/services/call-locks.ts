import type { Deps } from './deps';

/**
 * Mediation reads the stored reports of a call, decides which one is billable and rates it. Two
 * batches reporting the same call at the same moment (the meter's feed and the carrier's import)
 * must not both decide before either has written, or the call is charged twice. Calls correlate
 * only on the same called number, so batches sharing a called number take turns from mediation
 * to rating; batches about other numbers run in parallel.
 *
 * In-process: one billing process serves a database (the embedded engine's lock file makes sure
 * of that for the default install). Several billing processes on one MongoDB would need a
 * database lease per number instead.
 */
export class KeyedTurns {
  private readonly tails = new Map<string, Promise<void>>();

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
}

const turns = new WeakMap<object, KeyedTurns>();

/** Runs `work` holding the turn of every called number of `docs` that mediation correlates on. */
export function inCallTurns<T>(deps: Deps, docs: { serviceType?: string; destination?: string | null }[], work: () => Promise<T>): Promise<T> {
  if (!deps.config.MEDIATION) return work();
  let t = turns.get(deps.models);
  if (!t) turns.set(deps.models, (t = new KeyedTurns()));
  const keys = docs.flatMap((d) => (d.serviceType === 'VOICE' && d.destination ? [d.destination] : []));
  return t.run(keys, work);
}
