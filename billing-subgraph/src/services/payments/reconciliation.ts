import type { Identity } from '@exchange/platform';
import { Dec, rateUsage, reconcileRecords, reconciliationCsv, trafficFigures, type EconomicIncentive, type ReconciliationResult, type ReconRecord, type TrafficFigures } from '../../domain';
import type { SelectionDoc, UsageDoc } from '../../store/models';
import { badInput, forbidden, maySeeParty } from '../access';
import { parsePeriod } from '../bill-run/period';
import type { Deps } from '../deps';
import { policiesFor } from '../usage/mediation';
import { attemptSlotsOf } from '../usage/route-attempts';

/** A reconciliation covers at most this long a period (a month and a bit), so one read stays bounded. */
const MAX_PERIOD_MS = 32 * 86_400_000;

export interface ReconciliationReport extends ReconciliationResult, TrafficFigures {
  buyerId: string;
  carrierId: string;
  requestId: string | null;
  periodStart: Date;
  periodEnd: Date;
  currency: string;
  answerToleranceSeconds: number;
  durationToleranceSeconds: number;
  durationTolerancePercent: number;
  csv: string;
}

/**
 * Reconciliation of one buyer–carrier pair (optionally one request) over a period, from every
 * source's associated records (billable and corroborating). Parties see their own pair only.
 * Each record is priced alone at its selection's incentive (from a cumulative total of 0: a
 * volume tier reached over the month is not applied here, the bill applies it).
 */
export async function reconciliation(deps: Deps, who: Identity, args: { buyerId?: unknown; carrierId?: unknown; requestId?: unknown; period?: { start?: unknown; end?: unknown } }): Promise<ReconciliationReport> {
  for (const f of ['buyerId', 'carrierId'] as const) if (typeof args[f] !== 'string' || args[f] === '') throw badInput(f, `${f} is required`);
  const buyerId = args.buyerId as string;
  const carrierId = args.carrierId as string;
  const requestId = typeof args.requestId === 'string' && args.requestId !== '' ? args.requestId : null;
  const { start, end } = parsePeriod(args.period);
  if (end.getTime() - start.getTime() > MAX_PERIOD_MS) throw badInput('period.end', 'period must be at most 32 days (one billing period)');
  if (!maySeeParty(who, buyerId, carrierId)) throw forbidden(`a ${who.role} sees the reconciliation of its own buyer–carrier pairs only`);

  const usage = (await deps.models.Usage.find({ buyerId, carrierId, intervalStart: { $gte: start, $lt: end } })
    .select({ source: 1, callId: 1, destination: 1, intervalStart: 1, quantity: 1, status: 1, selectionId: 1, requestId: 1, serviceType: 1 })
    .lean()
    .exec()) as UsageDoc[];
  const counted = usage.filter((u) => u.serviceType === 'VOICE' && (u.status === 'RATED' || u.status === 'CORROBORATING') && (requestId === null || u.requestId === requestId));
  const selectionIds = [...new Set(counted.map((u) => u.selectionId).filter((s): s is string => typeof s === 'string'))];
  const selections = new Map(((await deps.models.Selection.find({ _id: { $in: selectionIds } }).lean().exec()) as SelectionDoc[]).map((s) => [s._id, s]));
  const policy = (await policiesFor(deps, [{ buyerId, carrierId }]))(buyerId, carrierId);
  let currency = '';
  const records: ReconRecord[] = counted.map((u) => {
    const sel = u.selectionId ? selections.get(u.selectionId) : undefined;
    let amount = '0';
    if (sel) {
      const rated = rateUsage({ incentive: sel.incentive as EconomicIncentive, serviceType: 'VOICE', usage: { quantity: u.quantity }, cumulativeBefore: '0' });
      amount = rated.amount;
      currency ||= rated.appliedIncentive.currency;
    }
    const r: ReconRecord = { id: u._id, source: u.source, buyerId, carrierId, answerMs: new Date(u.intervalStart).getTime(), seconds: u.quantity, amount };
    if (u.callId) r.callId = u.callId;
    if (u.destination) r.destination = u.destination;
    return r;
  });
  const result = reconcileRecords(records, policy, policy.precedence);
  // ASR/ACD: the routing attempts of every selection of the pair (of the request), whatever
  // their usage, against the calls billed (one billable record per call, an answered call
  // lasting more than 0 s).
  const pairSelections = (await deps.models.Selection.find({ buyerId, carrierId, ...(requestId === null ? {} : { requestId }) }).select({ _id: 1 }).lean().exec()) as { _id: string }[];
  const slots = await attemptSlotsOf(deps, pairSelections.map((s) => s._id), start, end);
  const answeredSeconds = counted.filter((u) => u.status === 'RATED' && new Dec(u.quantity).gt(0)).map((u) => u.quantity);
  const traffic = trafficFigures(slots, { start, end }, answeredSeconds);
  const head = { buyerId, carrierId, requestId, periodStart: start.toISOString(), periodEnd: end.toISOString(), currency };
  return {
    ...result,
    ...traffic,
    buyerId,
    carrierId,
    requestId,
    periodStart: start,
    periodEnd: end,
    currency,
    answerToleranceSeconds: policy.answerToleranceSeconds,
    durationToleranceSeconds: policy.durationToleranceSeconds,
    durationTolerancePercent: policy.durationTolerancePercent,
    csv: reconciliationCsv(head, result, traffic),
  };
}
