import { KeyedTurns } from '@exchange/platform';
import { newLeaseOwner, withLeases } from '../../store/leases';
import type { Deps } from '../deps';

// Mediation reads the stored reports of a call, decides which one is billable and rates it. Two
// batches reporting the same call at the same moment (the meter's feed and the carrier's import)
// must not both decide before either has written, or the call is charged twice. Calls correlate
// only on the same called number, so batches sharing a called number take turns from mediation
// to rating (numbers are grouped, see CALL_BUCKETS); batches about other groups run in parallel.
//
// The turns are database leases (store/leases.ts), one per called number, so any number of billing
// processes on one database take them: the meter's batch on one instance and the carrier's on
// another bill each call once (tests/integration/failure/multi-instance.test.ts). KeyedTurns
// (platform) is the local fast path in front of them: batches of this process wait for each
// other in memory and only one of them at a time asks the database for a number.

/** Per billing app (its models): the in-process queue, and its name in the lease documents. */
const turns = new WeakMap<object, { queue: KeyedTurns; group: string }>();

/**
 * Called numbers take turns in CALL_BUCKETS groups (a hash of the number), not one by one: a
 * lease per number cost a batch of 1,000 calls 1,000 lease inserts and 1,000 deletes, a third of
 * the database's work for the whole batch on FerretDB (issue 24 item 4), while the database
 * writes one batch at a time anyway (SQLite's single writer), so large batches gain nothing from
 * running side by side. Batches of a few numbers (feed polls, small API calls) mostly fall into
 * different groups and still run in parallel. Coarser turns are as safe: two batches reporting
 * the same number always share its group.
 */
export const CALL_BUCKETS = 64;

/** The turn group of a called number: FNV-1a of its characters, modulo CALL_BUCKETS. */
export function callBucket(destination: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < destination.length; i++) {
    h ^= destination.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % CALL_BUCKETS;
}

/** Lease key of a called number's group (the leases collection is shared by every kind of lease). */
const callKey = (destination: string) => `calls|${callBucket(destination)}`;

/** Runs `work` holding the turn of every called number of `docs` that mediation correlates on. */
export function inCallTurns<T>(deps: Deps, docs: { serviceType?: string; destination?: string | null }[], work: () => Promise<T>): Promise<T> {
  if (!deps.config.MEDIATION) return work();
  let t = turns.get(deps.models);
  if (!t) turns.set(deps.models, (t = { queue: new KeyedTurns(), group: newLeaseOwner() }));
  const { group } = t;
  const keys = [...new Set(docs.flatMap((d) => (d.serviceType === 'VOICE' && d.destination ? [callKey(d.destination)] : [])))];
  return t.queue.run(keys, () =>
    withLeases(deps.models.Lease, keys, work, {
      group,
      onLost: (lost) => deps.logger.error({ lost, groups: keys.length }, 'call leases lapsed while mediating (the process stalled past their ttl): another instance may have mediated the same calls'),
    }),
  );
}
