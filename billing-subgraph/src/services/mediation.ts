import { insertIgnoringDuplicates } from '@exchange/platform';
import { checkMediationPolicy, DEFAULT_MEDIATION_POLICY, mediate, Dec, PolicyError, type CallRecord, type MediationPolicy, type UsageSource } from '../domain';
import type { StoredBillingRecord } from '../store/billing-record-format';
import type { MediationPolicyDoc, UsageDoc } from '../store/models';
import { badInput } from './access';
import type { Deps } from './deps';

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

const callRecord = (u: Pick<UsageDoc, '_id' | 'source' | 'buyerId' | 'carrierId' | 'destination' | 'intervalStart' | 'quantity' | 'status' | 'callId'>): CallRecord => ({
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
 * documents that remain billable. The stored side is read with one index-backed query per batch:
 * {destination ∈ the batch's called numbers, intervalStart in the batch's range ± the widest answer
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
  // One read for the whole batch: its called numbers, its answer times ± the widest tolerance.
  const tol = Math.max(...[...pairs.values()].map((g) => policyOf(g[0].buyerId, g[0].carrierId).answerToleranceSeconds)) * 1000;
  const times = candidates.map((d) => d.intervalStart.getTime());
  const found = (await deps.models.Usage.find({
    destination: { $in: [...new Set(candidates.map((d) => d.destination!))] },
    intervalStart: { $gte: new Date(Math.min(...times) - tol), $lte: new Date(Math.max(...times) + tol) },
  })
    .select({ source: 1, buyerId: 1, carrierId: 1, destination: 1, intervalStart: 1, quantity: 1, status: 1, callId: 1 })
    .lean()
    .exec()) as UsageDoc[];
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
  for (const d of outcome.demoted) await demote(deps, d, now);
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
    await Promise.all(incoming.filter((d) => d.callId !== undefined).map((d) => deps.models.Usage.updateOne({ _id: d._id, status: 'ASSOCIATED' }, { $set: { callId: d.callId, ...(notBillable.has(d._id) ? { status: 'CORROBORATING' } : {}) } }).exec()));
  }
  return docs.filter((d) => !notBillable.has(d._id));
}

const negate = (v: string | undefined) => (v === undefined ? v : new Dec(v).negated().toFixed());

/** A stored billable record replaced by a better one: its charge reversed, it becomes evidence. */
async function demote(deps: Deps, d: { id: string; callId: string; by: string }, now: Date): Promise<void> {
  const rec = (await deps.models.BillingRecord.findById(d.id).lean().exec()) as StoredBillingRecord | null;
  if (rec) {
    const reversal: StoredBillingRecord = {
      ...rec,
      _id: `${d.id}|superseded`,
      amount: negate(rec.amount)!,
      billableQuantity: negate(rec.billableQuantity)!,
      billableBaseQuantity: negate(rec.billableBaseQuantity)!,
      ratedAt: now,
    };
    if (rec.segments) reversal.segments = rec.segments.map((s) => ({ ...s, quantity: negate(s.quantity)!, baseQuantity: negate(s.baseQuantity)!, amount: negate(s.amount)! }));
    await insertIgnoringDuplicates(deps.models.BillingRecord, [reversal]);
  }
  await deps.models.Usage.updateOne({ _id: d.id, status: { $in: ['RATED', 'ASSOCIATED'] } }, { $set: { status: 'CORROBORATING', callId: d.callId, supersededBy: d.by } }).exec();
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
