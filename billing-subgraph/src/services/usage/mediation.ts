import { insertIgnoringDuplicates } from '@exchange/platform';
import { checkMediationPolicy, DEFAULT_MEDIATION_POLICY, mediate, Dec, PolicyError, type CallRecord, type MediationPolicy, type UsageSource } from '../../domain';
import type { StoredBillingRecord } from '../../store/billing-record-format';
import { findCallReports, NUMBERS_PER_READ, type CallReport } from '../../store/call-reports';
import type { MediationPolicyDoc, UsageDoc } from '../../store/models';
import { badInput } from '../access';
import type { Deps } from '../deps';

/**
 * Mediation between ingestion and rating (domain/mediation.ts): a VOICE record that is the same
 * call (`sameCall`: same buyer, carrier and called number, answered within the answer tolerance,
 * whatever the durations) as a stored record of another source is kept as corroborating evidence
 * (status CORROBORATING, callId = the call) instead of being rated again; a higher-precedence
 * record arriving later replaces the billable one: the old record's charge is reversed by a
 * negative billing record and the new one is rated, so an issued bill is never changed silently
 * — both land on the period's next bill (an ADJUSTMENT when the period was billed already).
 */

const policyKey = (buyerId: string, carrierId: string) => `${buyerId}|${carrierId}`;

/** Policies of the buyer–carrier pairs (stored per pair; the configured default otherwise). */
export async function policiesFor(deps: Deps, pairs: { buyerId: string; carrierId: string }[]): Promise<(buyerId: string, carrierId: string) => MediationPolicy> {
  const fallback = defaultPolicy(deps);
  const ids = [...new Set(pairs.map((p) => policyKey(p.buyerId, p.carrierId)))];
  const found = ids.length ? ((await deps.models.MediationPolicy.find({ _id: { $in: ids } }).lean().exec()) as { _id: string; precedence: UsageSource[]; answerToleranceSeconds: number; durationToleranceSeconds: number; durationTolerancePercent: number }[]) : [];
  const byPair = new Map(found.map((p) => [p._id, checkMediationPolicy(p)]));
  return (b, c) => byPair.get(policyKey(b, c)) ?? fallback;
}

export function defaultPolicy(deps: Deps): MediationPolicy {
  const c = deps.config;
  return checkMediationPolicy({
    precedence: c.MEDIATION_PRECEDENCE ? (c.MEDIATION_PRECEDENCE.split(',').map((s) => s.trim()) as UsageSource[]) : DEFAULT_MEDIATION_POLICY.precedence,
    answerToleranceSeconds: c.MEDIATION_ANSWER_TOLERANCE_SECONDS,
    durationToleranceSeconds: c.MEDIATION_DURATION_TOLERANCE_SECONDS,
    durationTolerancePercent: c.MEDIATION_DURATION_TOLERANCE_PERCENT,
  });
}

const mediable = (u: UsageDoc) => u.serviceType === 'VOICE' && typeof u.destination === 'string' && u.destination !== '';

const callRecord = (u: CallReport): CallRecord => ({
  id: u._id,
  source: u.source,
  buyerId: u.buyerId,
  carrierId: u.carrierId,
  destination: u.destination!,
  answerMs: new Date(u.intervalStart).getTime(),
  seconds: u.quantity,
  ...(u.callId ? { callId: u.callId } : {}),
  elected: u.status === 'RATED' || u.status === 'ASSOCIATED',
});

/**
 * Mediates associated VOICE records (`mode: 'insert'`: about to be inserted as RATED;
 * `'stored'`: stored ASSOCIATED by a re-association). Sets callId and, for evidence, status
 * CORROBORATING on the given documents; demotes stored records a better one replaces. Returns the
 * documents that remain billable. The stored side is read with index-backed queries (store/call-reports.ts):
 * {destination ∈ the batch's called numbers, intervalStart in their answer times ± the widest answer
 * tolerance of the batch's pairs} (every record `sameCall` could match lies in it), the
 * {destination, intervalStart} index; other pairs' records of the same numbers are dropped after.
 */
export async function mediateUsage(deps: Deps, docs: UsageDoc[], mode: 'insert' | 'stored', now = new Date()): Promise<UsageDoc[]> {
  if (!deps.config.MEDIATION) return docs;
  const candidates = docs.filter((d) => (mode === 'insert' ? d.status === 'RATED' : d.status === 'ASSOCIATED') && mediable(d));
  if (candidates.length === 0) return docs;
  const policyOf = await policiesFor(deps, candidates);
  const pairs = new Map<string, UsageDoc[]>();
  for (const d of candidates) {
    const k = policyKey(d.buyerId, d.carrierId);
    let list = pairs.get(k);
    if (!list) pairs.set(k, (list = []));
    list.push(d);
  }
  const stored: CallRecord[] = [];
  const incomingIds = new Set(candidates.map((d) => d._id));
  const storedIds = new Set<string>();
  // Index-backed reads for the whole batch: its called numbers, their answer times ± the widest tolerance.
  const tol = Math.max(...[...pairs.values()].map((g) => policyOf(g[0].buyerId, g[0].carrierId).answerToleranceSeconds)) * 1000;
  const found = await findCallReports(
    deps.models.Usage,
    candidates.map((d) => ({ destination: d.destination!, answeredAt: d.intervalStart })),
    tol,
  );
  for (const u of found) {
    if (!pairs.has(policyKey(u.buyerId, u.carrierId))) continue;
    storedIds.add(u._id);
    if (mode === 'stored' && incomingIds.has(u._id)) continue;
    if (u.status === 'RATED' || u.status === 'CORROBORATING' || u.status === 'ASSOCIATED') stored.push(callRecord(u));
  }
  // A re-delivered record is stored already: it is a duplicate for the insert, not a new report of the call.
  const incoming = mode === 'insert' ? candidates.filter((d) => !storedIds.has(d._id)) : candidates;
  if (stored.length === 0 && incoming.length < 2) return docs;
  const outcome = mediate(incoming.map(callRecord), stored, policyOf);
  // Demote first: a crash after a reversal and before the new record's insert leaves the call
  // without a charge until the sender re-sends the batch (then the new record is elected), never
  // with two.
  await demote(deps, outcome.demoted, now);
  const notBillable = new Set<string>();
  incoming.forEach((doc, i) => {
    const o = outcome.incoming[i];
    if (o.callId !== doc._id) doc.callId = o.callId;
    if (!o.elected) {
      doc.callId = o.callId;
      doc.status = 'CORROBORATING';
      notBillable.add(doc._id);
    }
  });
  if (mode === 'stored') {
    const marked = incoming.filter((d) => d.callId !== undefined);
    if (marked.length) {
      await deps.models.Usage.bulkWrite(
        marked.map((d) => ({ updateOne: { filter: { _id: d._id, status: 'ASSOCIATED' }, update: { $set: { callId: d.callId, ...(notBillable.has(d._id) ? { status: 'CORROBORATING' } : {}) } } } })) as never[],
        { ordered: false },
      );
    }
  }
  return docs.filter((d) => !notBillable.has(d._id));
}

const negate = (v: string | undefined) => (v === undefined ? v : new Dec(v).negated().toFixed());

/**
 * Stored billable records replaced by better ones: their charges reversed, they become evidence.
 * A constant number of round trips per batch: one read of the charges, one insert of the
 * reversals, one bulk write of the conditional demotions (all reversals before any demotion).
 */
async function demote(deps: Deps, demoted: { id: string; callId: string; by: string }[], now: Date): Promise<void> {
  if (demoted.length === 0) return;
  const recs = await findBillingRecords(deps, demoted.map((d) => d.id));
  const reversals = recs.map((rec) => {
    const reversal: StoredBillingRecord = {
      ...rec,
      _id: `${rec._id}|superseded`,
      amount: negate(rec.amount)!,
      billableQuantity: negate(rec.billableQuantity)!,
      billableBaseQuantity: negate(rec.billableBaseQuantity)!,
      ratedAt: now,
    };
    if (rec.segments) reversal.segments = rec.segments.map((s) => ({ ...s, quantity: negate(s.quantity)!, baseQuantity: negate(s.baseQuantity)!, amount: negate(s.amount)! }));
    return reversal;
  });
  await insertIgnoringDuplicates(deps.models.BillingRecord, reversals);
  await deps.models.Usage.bulkWrite(
    demoted.map((d) => ({ updateOne: { filter: { _id: d.id, status: { $in: ['RATED', 'ASSOCIATED'] } }, update: { $set: { status: 'CORROBORATING', callId: d.callId, supersededBy: d.by } } } })) as never[],
    { ordered: false },
  );
}

/** Billing records by id, read in index-backed pieces (see store/call-reports.ts on large $in lists). */
async function findBillingRecords(deps: Deps, ids: string[]): Promise<StoredBillingRecord[]> {
  const reads: Promise<StoredBillingRecord[]>[] = [];
  for (let i = 0; i < ids.length; i += NUMBERS_PER_READ) reads.push(deps.models.BillingRecord.find({ _id: { $in: ids.slice(i, i + NUMBERS_PER_READ) } }).lean().exec() as Promise<StoredBillingRecord[]>);
  return (await Promise.all(reads)).flat();
}

/** setMediationPolicy: validates the whole policy first (nothing written on a bad field), then stores it for the pair. */
export async function setMediationPolicy(deps: Deps, who: { role: string; sub: string }, input: Record<string, unknown>): Promise<MediationPolicyDoc> {
  for (const f of ['buyerId', 'carrierId'] as const) {
    const v = input[f];
    if (typeof v !== 'string' || v === '' || v.length > 200 || v.startsWith('$')) throw badInput(`input.${f}`, `input.${f} is required (an id of at most 200 characters)`);
  }
  const fallback = defaultPolicy(deps);
  let policy: MediationPolicy;
  try {
    policy = checkMediationPolicy({
      precedence: (input.precedence as UsageSource[] | null | undefined) ?? fallback.precedence,
      answerToleranceSeconds: (input.answerToleranceSeconds as number | null | undefined) ?? fallback.answerToleranceSeconds,
      durationToleranceSeconds: (input.durationToleranceSeconds as number | null | undefined) ?? fallback.durationToleranceSeconds,
      durationTolerancePercent: (input.durationTolerancePercent as number | null | undefined) ?? fallback.durationTolerancePercent,
    });
  } catch (err) {
    if (err instanceof PolicyError) throw badInput(`input.${err.field}`, `input.${err.message}`);
    throw err;
  }
  const buyerId = input.buyerId as string;
  const carrierId = input.carrierId as string;
  const doc: MediationPolicyDoc = { _id: policyKey(buyerId, carrierId), buyerId, carrierId, ...policy, precedence: [...policy.precedence], updatedBy: `${who.role}:${who.sub}`, updatedAt: new Date() };
  await deps.models.MediationPolicy.replaceOne({ _id: doc._id }, doc, { upsert: true }).exec();
  return doc;
}
