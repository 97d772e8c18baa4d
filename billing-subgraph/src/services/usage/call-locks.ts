import { KeyedTurns } from '@exchange/platform';
import { newLeaseOwner, withLeases } from '../../store/leases';
import type { Deps } from '../deps';

// Mediation reads the stored reports of a call, decides which one is billable and rates it. Two
// batches reporting the same call at the same moment (the meter's feed and the carrier's import)
// must not both decide before either has written, or the call is charged twice. Calls correlate
// only on the same called number, so batches sharing a called number take turns from mediation
// to rating; batches about other numbers run in parallel.
//
// The turns are database leases (store/leases.ts), one per called number, so any number of billing
// processes on one database take them: the meter's batch on one instance and the carrier's on
// another bill each call once (tests/integration/failure/multi-instance.test.ts). KeyedTurns
// (platform) is the local fast path in front of them: batches of this process wait for each
// other in memory and only one of them at a time asks the database for a number.

/** Per billing app (its models): the in-process queue, and its name in the lease documents. */
const turns = new WeakMap<object, { queue: KeyedTurns; group: string }>();

/** Lease key of a called number (the leases collection is shared by every kind of lease). */
const callKey = (destination: string) => `call|${destination}`;

/** Runs `work` holding the turn of every called number of `docs` that mediation correlates on. */
export function inCallTurns<T>(deps: Deps, docs: { serviceType?: string; destination?: string | null }[], work: () => Promise<T>): Promise<T> {
  if (!deps.config.MEDIATION) return work();
  let t = turns.get(deps.models);
  if (!t) turns.set(deps.models, (t = { queue: new KeyedTurns(), group: newLeaseOwner() }));
  const { group } = t;
  const keys = docs.flatMap((d) => (d.serviceType === 'VOICE' && d.destination ? [callKey(d.destination)] : []));
  return t.queue.run(keys, () =>
    withLeases(deps.models.Lease, keys, work, {
      group,
      onLost: (lost) => deps.logger.error({ lost, numbers: keys.length }, 'call leases lapsed while mediating (the process stalled past their ttl): another instance may have mediated the same calls'),
    }),
  );
}
