import { randomUUID } from 'node:crypto';
import {
  assembleBill,
  Dec,
  formatBillNumber,
  formatRecordAmount,
  formatTotal,
  parseInstant,
  postingsForBillIssued,
  rateUsage,
  ratePercentile,
  sum,
  type AssembledBill,
  type BillRecordInput,
  type EconomicIncentive,
} from '../domain';
import type { BillClaimDoc, BillDoc, BillingRecordDoc, BillLineDoc, SelectionDoc } from '../store/models';
import { badInput, isDuplicateKey } from './access';
import { BILL_ISSUED_TOPIC, type BillIssuedEvent, type Deps } from './deps';
import { createDeliveries } from './delivery';
import { insertIgnoringDuplicates } from './rating';
import { claimNextSlot, claimOnce } from './slots';

export const PAYMENT_TERMS_DAYS = 30;
/** A DRAFT older than this belongs to a run that died; another run completes it. */
const DRAFT_LEASE_MS = 60_000;

const newBillId = () => `bill_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

async function allocateNumber(deps: Deps, at: Date): Promise<string> {
  const month = at.toISOString().slice(0, 7);
  const { slot } = await claimNextSlot(deps.models, `billno|${month}`, (prev) => ({ slot: { value: formatBillNumber((prev?.seq ?? 0) + 1, at) }, extra: null }));
  return slot.value;
}

/**
 * DRAFT -> ISSUED. Ledger postings and delivery records are written first with deterministic
 * ids (re-running after a crash writes nothing twice), then the status flips conditionally, then
 * the billIssued event goes out. Only the run that flips it publishes.
 */
export async function finishIssue(deps: Deps, draft: BillDoc): Promise<BillDoc> {
  const { Bill, Ledger } = deps.models;
  const now = new Date();
  const number = draft.number ?? (await allocateNumber(deps, now));
  if (!draft.number) await Bill.updateOne({ _id: draft._id, status: 'DRAFT', number: { $exists: false } }, { $set: { number } }).exec();
  const bill = (await Bill.findById(draft._id).lean().exec()) as BillDoc;
  if (bill.status !== 'DRAFT') return bill;
  const sets = postingsForBillIssued({ billId: bill._id, buyerId: bill.buyerId!, carrierId: bill.carrierId!, currency: bill.currency!, total: bill.total! });
  const ledger = sets.flatMap((s, i) =>
    s.postings.map((p, j) => ({ _id: `${bill._id}|issued|${i}|${j}`, event: s.event, account: p.account, amount: p.amount, currency: p.currency, billId: bill._id, paymentId: null, description: s.description, postedAt: now })),
  );
  await insertIgnoringDuplicates(Ledger, ledger);
  await createDeliveries(deps, bill, now);
  const status = new Dec(bill.total!).isZero() ? 'PAID' : 'ISSUED';
  const issued = await Bill.findOneAndUpdate(
    { _id: bill._id, status: 'DRAFT' },
    { $set: { status, issuedAt: now, dueAt: new Date(now.getTime() + PAYMENT_TERMS_DAYS * 86_400_000), number: bill.number ?? number } },
    { returnDocument: 'after' },
  ).lean().exec();
  if (!issued) return (await Bill.findById(bill._id).lean().exec()) as BillDoc;
  // Conditional updates are not atomic on FerretDB 1.x: announce each bill exactly once.
  if (!(await claimOnce(deps.models, `billIssued|${issued._id}`))) return issued as BillDoc;
  const event: BillIssuedEvent = { billId: issued._id, buyerId: issued.buyerId!, carrierId: issued.carrierId! };
  await deps.pubsub.publish(BILL_ISSUED_TOPIC, event).catch((err) => deps.logger.warn({ err }, 'billIssued publish failed'));
  deps.kickDeliveries();
  return issued as BillDoc;
}

// ------------------------------------------------------------------------------------------
// ADVANCE bills
// ------------------------------------------------------------------------------------------

/** The requested quantity rated under the incentive, as bill record inputs. */
function advanceRecords(s: SelectionDoc): BillRecordInput[] {
  const incentive = s.incentive as EconomicIncentive;
  const q = new Dec(s.quantity);
  if (s.unit === 'MBPS' || (s.serviceType === 'DATA' && incentive.dataChargeModel === 'PERCENTILE_95')) {
    const r = ratePercentile(incentive, [q.toFixed()]);
    return r.segments.map((seg, i) => ({ billingRecordId: `advance-${i}`, amount: seg.amount, quantity: seg.quantity, unit: 'MBPS_P95', tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit }));
  }
  const base = s.serviceType === 'VOICE' ? q.times(60).ceil() : q.times('1000000000').ceil();
  const r = rateUsage({ incentive, serviceType: s.serviceType, usage: { quantity: base.toFixed() } });
  return r.segments.map((seg, i) => ({ billingRecordId: `advance-${i}`, amount: seg.amount, quantity: seg.quantity, unit: r.unit, tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit }));
}

function linesOf(a: AssembledBill, s: { requestId: string; _id: string }): BillLineDoc[] {
  return a.lines.map((l) => ({
    kind: l.kind,
    description: l.description,
    requestId: s.requestId,
    selectionId: s._id,
    endUserId: l.endUserId ?? null,
    quantity: l.quantity ?? null,
    unit: l.unit ?? null,
    ratePerUnit: l.ratePerUnit ?? null,
    tierIndex: l.tierIndex ?? null,
    amount: l.amount,
  }));
}

/** Issues (or completes) the selection's ADVANCE bill; unique key ADVANCE|<selectionId>. */
export async function ensureAdvanceBill(deps: Deps, s: SelectionDoc): Promise<BillDoc> {
  const { Bill, Selection } = deps.models;
  const key = `ADVANCE|${s._id}`;
  let bill = (await Bill.findOne({ key }).lean().exec()) as BillDoc | null;
  if (!bill) {
    const incentive = s.incentive as EconomicIncentive;
    const a = assembleBill({
      kind: 'ADVANCE',
      currency: incentive.currency,
      records: advanceRecords(s),
      minimumCharge: incentive.minimumCharge,
      setupFee: incentive.setupFee,
      isFirstBillForSelection: true,
      isReseller: s.buyerIsReseller,
    });
    const draft: BillDoc = {
      _id: newBillId(),
      key,
      groupKey: key,
      kind: 'ADVANCE',
      groupBy: null,
      buyerId: s.buyerId,
      carrierId: s.carrierId,
      requestId: s.requestId,
      selectionIds: [s._id],
      periodStart: s.intervalStart,
      periodEnd: s.intervalEnd,
      sequence: 0,
      currency: a.currency,
      lines: linesOf(a, s),
      endUserSubtotals: a.endUserSubtotals,
      usageAmount: a.usageAmount,
      minimumTopUp: a.minimumTopUp,
      setupFee: a.setupFee,
      advanceCreditApplied: a.advanceCreditApplied,
      creditableAdvance: a.creditableAdvance,
      selectionAmounts: [`${s._id}|${a.usageAmount}|${a.advanceCreditApplied}`],
      subtotal: a.subtotal,
      total: a.total,
      paidAmount: '0',
      payments: [],
      status: 'DRAFT',
      version: 0,
      recordCount: 0,
      issuedAt: new Date(),
      draftAt: new Date(),
      deliveryPath: deps.config.BILL_DELIVERY_PATH,
    };
    try {
      await Bill.create(draft);
      bill = draft;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      bill = (await Bill.findOne({ key }).lean().exec()) as BillDoc;
    }
  }
  if (bill.status === 'DRAFT') bill = await finishIssue(deps, bill);
  if (s.advanceBillId !== bill._id) await Selection.updateOne({ _id: s._id }, { $set: { advanceBillId: bill._id } }).exec();
  return bill;
}

// ------------------------------------------------------------------------------------------
// PERIODIC / ADJUSTMENT bills
// ------------------------------------------------------------------------------------------

export type Grouping = 'BUYER_REQUEST' | 'BUYER_CARRIER';

interface Group {
  buyerId: string;
  carrierId: string;
  requestId: string | null;
  currency: string;
}

const groupKeyOf = (g: Group, groupBy: Grouping, start: Date, end: Date) =>
  [groupBy, start.toISOString(), end.toISOString(), g.buyerId, g.requestId ?? '-', g.carrierId, g.currency].join('|');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function parsePeriod(period: { start?: unknown; end?: unknown } | null | undefined, field = 'period'): { start: Date; end: Date } {
  const start = parseInstant(period?.start);
  if (!start) throw badInput(`${field}.start`, `${field}.start must be an ISO 8601 date-time with a time zone`);
  const end = parseInstant(period?.end);
  if (!end) throw badInput(`${field}.end`, `${field}.end must be an ISO 8601 date-time with a time zone`);
  if (end.getTime() <= start.getTime()) throw badInput(`${field}.end`, `${field}.end must be after ${field}.start`);
  return { start, end };
}

/**
 * generateBills: one bill per group (buyer + request + carrier, or buyer + carrier; per currency)
 * for the unbilled billing records whose usage started in the period. The unique natural key
 * <group>|<sequence> on the bill is the lock: of two concurrent runs only one creates a group's
 * DRAFT, claims the records (billId) and issues it; the other waits and returns the same bill.
 */
export async function generateBills(deps: Deps, periodInput: { start?: unknown; end?: unknown }, groupBy: Grouping): Promise<{ bills: BillDoc[]; issued: number }> {
  const { start, end } = parsePeriod(periodInput);
  const { Bill, BillingRecord } = deps.models;
  const runId = randomUUID();
  const match = { intervalStart: { $gte: start, $lt: end } };
  const idSpec: Record<string, string> = { buyerId: '$buyerId', carrierId: '$carrierId', currency: '$currency' };
  if (groupBy === 'BUYER_REQUEST') idSpec.requestId = '$requestId';
  const rows = await BillingRecord.aggregate<{ _id: Group }>([{ $match: match }, { $group: { _id: idSpec, n: { $sum: 1 } } }]).exec();
  const groups = new Map<string, Group>();
  for (const r of rows) {
    const g: Group = { buyerId: r._id.buyerId, carrierId: r._id.carrierId, currency: r._id.currency, requestId: groupBy === 'BUYER_REQUEST' ? r._id.requestId : null };
    groups.set(groupKeyOf(g, groupBy, start, end), g);
  }
  // Drafts left by a crashed or concurrent run for this period are groups too.
  const drafts = (await Bill.find({ groupBy, periodStart: start, periodEnd: end, status: 'DRAFT' }).lean().exec()) as BillDoc[];
  for (const d of drafts) {
    const g: Group = { buyerId: d.buyerId!, carrierId: d.carrierId!, requestId: d.requestId ?? null, currency: d.currency! };
    groups.set(d.groupKey!, g);
  }
  // Selections with a minimum charge that were active in the period owe at least the minimum,
  // even without usage: their group gets a PERIODIC bill (top-up line only) too.
  const minimumSelections = new Map<string, string[]>();
  const active = (await deps.models.Selection.find({ intervalStart: { $lt: end }, intervalEnd: { $gt: start }, 'incentive.minimumCharge': { $exists: true } }).lean().exec()) as SelectionDoc[];
  for (const s of active) {
    if (s.incentive.minimumCharge === undefined || s.incentive.minimumCharge === null) continue;
    const g: Group = { buyerId: s.buyerId, carrierId: s.carrierId, currency: s.incentive.currency, requestId: groupBy === 'BUYER_REQUEST' ? s.requestId : null };
    const key = groupKeyOf(g, groupBy, start, end);
    if (!groups.has(key)) groups.set(key, g);
    minimumSelections.set(key, [...(minimumSelections.get(key) ?? []), s._id]);
  }
  const ordered = [...groups].sort(([a, ga], [b, gb]) => (ga.buyerId < gb.buyerId ? -1 : ga.buyerId > gb.buyerId ? 1 : a < b ? -1 : a > b ? 1 : 0));

  let issued = 0;
  for (const [groupKey, g] of ordered) issued += await billGroup(deps, groupKey, g, groupBy, start, end, runId, minimumSelections.get(groupKey) ?? []);

  const bills = (await Bill.find({ groupBy, periodStart: start, periodEnd: end, status: { $ne: 'DRAFT' } }).lean().exec()) as BillDoc[];
  bills.sort((a, b) => (a.buyerId! < b.buyerId! ? -1 : a.buyerId! > b.buyerId! ? 1 : a.groupKey! < b.groupKey! ? -1 : a.groupKey! > b.groupKey! ? 1 : a.sequence! - b.sequence!));
  return { bills, issued };
}

async function billGroup(deps: Deps, groupKey: string, g: Group, groupBy: Grouping, start: Date, end: Date, runId: string, minimumSelections: string[]): Promise<number> {
  const { Bill } = deps.models;
  const recordFilter: Record<string, unknown> = { intervalStart: { $gte: start, $lt: end }, buyerId: g.buyerId, carrierId: g.carrierId, currency: g.currency };
  if (groupBy === 'BUYER_REQUEST') recordFilter.requestId = g.requestId;
  let issued = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const existing = (await Bill.find({ groupKey }).sort({ sequence: 1 }).lean().exec()) as BillDoc[];
    const last = existing[existing.length - 1];
    if (last && last.status === 'DRAFT') {
      if (last.runId === runId || Date.now() - (last.draftAt?.getTime() ?? 0) > DRAFT_LEASE_MS) {
        await completeDraft(deps, last, recordFilter, existing.slice(0, -1), last.sequence === 0 ? minimumSelections : []);
        issued++;
      } else await sleep(50); // another run is issuing it
      continue;
    }
    const minimumOnly = existing.length === 0 && minimumSelections.length > 0;
    if (!minimumOnly && !(await hasUnclaimed(deps, recordFilter))) return issued;
    const sequence = existing.length;
    const draft: BillDoc = {
      _id: newBillId(),
      key: `${groupKey}|${sequence}`,
      groupKey,
      kind: sequence === 0 ? 'PERIODIC' : 'ADJUSTMENT',
      groupBy,
      buyerId: g.buyerId,
      carrierId: g.carrierId,
      requestId: g.requestId,
      periodStart: start,
      periodEnd: end,
      sequence,
      currency: g.currency,
      status: 'DRAFT',
      paidAmount: '0',
      payments: [],
      version: 0,
      issuedAt: new Date(),
      draftAt: new Date(),
      runId,
      deliveryPath: deps.config.BILL_DELIVERY_PATH,
    };
    try {
      await Bill.create(draft);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await sleep(20); // a concurrent run won this sequence; wait for it on the next turn
    }
  }
  throw new Error(`billing group ${groupKey} did not settle`);
}

interface SelectionAgg {
  records: Map<string, BillRecordInput>;
  count: number;
  samples: string[];
}

/**
 * PERCENTILE_95 data is charged per billing period on the bill: the 95th percentile of all the
 * period's 5-minute samples of the selection, priced per Mbps. An ADJUSTMENT re-computes the
 * percentile over every sample of the period (earlier bills' and the late ones) and charges the
 * increase over what the earlier bills charged (never a negative line).
 */
async function percentileRecords(deps: Deps, s: SelectionDoc, agg: SelectionAgg, earlier: BillDoc[], alreadyBilled: Dec): Promise<BillRecordInput[]> {
  let samples = agg.samples;
  if (earlier.length) {
    samples = [...samples];
    const cursor = deps.models.BillClaim.find({ billId: { $in: earlier.map((b) => b._id) }, selectionId: s._id }).select({ samplesMbps: 1 }).lean().cursor({ batchSize: 2000 });
    for await (const r of cursor) for (const m of r.samplesMbps ?? []) samples.push(m);
  }
  if (samples.length === 0) return [];
  const r = ratePercentile(s.incentive as EconomicIncentive, samples);
  if (earlier.length === 0) {
    return r.segments.map((seg) => ({ billingRecordId: `p95-${seg.tierIndex}`, amount: seg.amount, quantity: seg.quantity, unit: 'MBPS_P95', tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit, description: `95th percentile ${r.p95Mbps} Mbps of ${r.sampleCount} samples (${r.droppedSamples} highest dropped), tier ${seg.tierIndex} at ${seg.ratePerUnit} ${(s.incentive as EconomicIncentive).currency}/Mbps` }));
  }
  const delta = Dec.max(0, new Dec(r.amount).minus(alreadyBilled));
  const last = r.segments[r.segments.length - 1];
  return [{ billingRecordId: 'p95-adjustment', amount: formatRecordAmount(delta), quantity: '0', unit: 'MBPS_P95', tierIndex: last?.tierIndex ?? 0, ratePerUnit: last?.ratePerUnit ?? '0', description: `95th percentile recomputed with late samples: ${r.p95Mbps} Mbps, ${r.amount} for the period, ${alreadyBilled.toFixed(6)} billed before` }];
}

type ClaimableRecord = Pick<BillingRecordDoc, '_id' | 'selectionId' | 'endUserId' | 'unit' | 'segments' | 'samplesMbps' | 'buyerId' | 'carrierId' | 'requestId' | 'currency' | 'intervalStart'>;

/**
 * Streams the group's billing records in _id order together with the claims on them (same
 * filter, same order: a merge join, constant memory). claimedBy = the bill a record is on.
 */
async function* withClaims(deps: Deps, filter: Record<string, unknown>): AsyncGenerator<{ rec: ClaimableRecord; claimedBy: string | null }> {
  const records = deps.models.BillingRecord.find(filter)
    .select({ selectionId: 1, endUserId: 1, unit: 1, segments: 1, samplesMbps: 1, buyerId: 1, carrierId: 1, requestId: 1, currency: 1, intervalStart: 1 })
    .sort({ _id: 1 })
    .lean()
    .cursor({ batchSize: 2000 });
  const claims = deps.models.BillClaim.find(filter).select({ _id: 1, billId: 1 }).sort({ _id: 1 }).lean().cursor({ batchSize: 5000 });
  try {
    let claim = await claims.next();
    for await (const rec of records) {
      while (claim && claim._id < rec._id) claim = await claims.next();
      yield { rec: rec as ClaimableRecord, claimedBy: claim && claim._id === rec._id ? claim.billId : null };
    }
  } finally {
    await claims.close();
  }
}

async function hasUnclaimed(deps: Deps, filter: Record<string, unknown>): Promise<boolean> {
  for await (const { claimedBy } of withClaims(deps, filter)) if (claimedBy === null) return true;
  return false;
}

/** Claims the group's unbilled records for the draft (unique claim inserts), assembles the lines per selection and issues. */
async function completeDraft(deps: Deps, draft: BillDoc, recordFilter: Record<string, unknown>, earlier: BillDoc[], minimumSelections: string[] = []): Promise<BillDoc> {
  const { Bill, BillClaim, Selection } = deps.models;

  // Stream the records, pre-aggregating per selection / end user / tier / rate, so memory stays
  // proportional to the number of lines, not of records. Records claimed by this draft before a
  // crash count; records claimed by other bills do not; the rest are claimed in chunks and only
  // the claims this run inserted count (a concurrent claimer keeps its own).
  const perSelection = new Map<string, SelectionAgg>();
  let recordCount = 0;
  const add = (r: ClaimableRecord) => {
    recordCount++;
    let agg = perSelection.get(r.selectionId);
    if (!agg) perSelection.set(r.selectionId, (agg = { records: new Map(), count: 0, samples: [] }));
    agg.count++;
    if (r.samplesMbps) for (const m of r.samplesMbps) agg.samples.push(m);
    for (const seg of r.segments) {
      const key = JSON.stringify([r.endUserId ?? null, r.unit, seg.tierIndex, seg.ratePerUnit]);
      const cur = agg.records.get(key);
      if (cur) {
        cur.amount = new Dec(cur.amount).plus(seg.amount).toFixed();
        cur.quantity = new Dec(cur.quantity).plus(seg.quantity).toFixed();
      } else {
        agg.records.set(key, { billingRecordId: key, endUserId: r.endUserId ?? null, amount: seg.amount, quantity: seg.quantity, unit: r.unit, tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit });
      }
    }
  };
  let chunk: ClaimableRecord[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const docs: BillClaimDoc[] = chunk.map((r) => {
      const c: BillClaimDoc = { _id: r._id, billId: draft._id, buyerId: r.buyerId, carrierId: r.carrierId, requestId: r.requestId, currency: r.currency, intervalStart: r.intervalStart, selectionId: r.selectionId };
      if (r.samplesMbps) c.samplesMbps = r.samplesMbps;
      return c;
    });
    const dup = await insertIgnoringDuplicates(BillClaim, docs);
    chunk.forEach((r, i) => {
      if (!dup.has(i)) add(r);
    });
    chunk = [];
  };
  for await (const { rec, claimedBy } of withClaims(deps, recordFilter)) {
    if (claimedBy === draft._id) add(rec);
    else if (claimedBy === null) {
      chunk.push(rec);
      if (chunk.length >= 2000) await flush();
    }
  }
  await flush();
  for (const id of minimumSelections) if (!perSelection.has(id)) perSelection.set(id, { records: new Map(), count: 0, samples: [] });

  const lines: BillLineDoc[] = [];
  const subtotals = new Map<string | null, { label: string; amount: Dec }>();
  const selectionAmounts: string[] = [];
  const totals = { usage: [] as string[], topUp: [] as string[], credit: [] as string[], subtotal: [] as string[] };
  const selectionIds = [...perSelection.keys()].sort();
  const selections = new Map(((await Selection.find({ _id: { $in: selectionIds } }).lean().exec()) as SelectionDoc[]).map((s) => [s._id, s]));
  for (const selectionId of selectionIds) {
    const s = selections.get(selectionId);
    if (!s) continue;
    const incentive = s.incentive as EconomicIncentive;
    const pool = await advancePool(deps, selectionId, draft._id);
    const alreadyBilled = sum(
      earlier.flatMap((b) => (b.selectionAmounts ?? []).filter((x) => x.startsWith(`${selectionId}|`)).map((x) => x.split('|')[1])),
    );
    const agg = perSelection.get(selectionId)!;
    const records = [...agg.records.values()];
    if (s.serviceType === 'DATA' && incentive.dataChargeModel === 'PERCENTILE_95') {
      records.push(...(await percentileRecords(deps, s, agg, draft.kind === 'ADJUSTMENT' ? earlier : [], alreadyBilled)));
    }
    const a = assembleBill({
      kind: draft.kind!,
      currency: draft.currency!,
      records,
      minimumCharge: incentive.minimumCharge,
      isFirstBillForSelection: false,
      alreadyBilledUsageInPeriod: draft.kind === 'ADJUSTMENT' ? formatRecordAmount(alreadyBilled) : undefined,
      isReseller: s.buyerIsReseller,
      advanceCreditAvailable: pool,
    });
    lines.push(...linesOf(a, s));
    for (const st of a.endUserSubtotals) {
      const cur = subtotals.get(st.endUserId) ?? { label: st.label, amount: new Dec(0) };
      cur.amount = cur.amount.plus(st.amount);
      subtotals.set(st.endUserId, cur);
    }
    selectionAmounts.push(`${selectionId}|${a.usageAmount}|${a.advanceCreditApplied}`);
    totals.usage.push(a.usageAmount);
    totals.topUp.push(a.minimumTopUp);
    totals.credit.push(a.advanceCreditApplied);
    totals.subtotal.push(a.subtotal);
  }
  const subtotal = sum(totals.subtotal);
  await Bill.updateOne(
    { _id: draft._id, status: 'DRAFT' },
    {
      $set: {
        selectionIds,
        lines,
        endUserSubtotals: [...subtotals].map(([endUserId, v]) => ({ endUserId, label: v.label, amount: formatRecordAmount(v.amount) })),
        usageAmount: formatRecordAmount(sum(totals.usage)),
        minimumTopUp: formatRecordAmount(sum(totals.topUp)),
        setupFee: formatRecordAmount(0),
        advanceCreditApplied: formatRecordAmount(sum(totals.credit)),
        creditableAdvance: formatRecordAmount(0),
        selectionAmounts,
        subtotal: formatRecordAmount(subtotal),
        total: formatTotal(subtotal, draft.currency!),
        recordCount,
      },
    },
  ).exec();
  const updated = (await Bill.findById(draft._id).lean().exec()) as BillDoc;
  return finishIssue(deps, updated);
}

/** What is left of the selection's advance prepayment: its creditable amount minus credits already applied on other bills. */
async function advancePool(deps: Deps, selectionId: string, excludeBillId: string): Promise<string> {
  const bills = (await deps.models.Bill.find({ selectionIds: selectionId, _id: { $ne: excludeBillId } })
    .select({ kind: 1, creditableAdvance: 1, selectionAmounts: 1, status: 1 })
    .lean()
    .exec()) as BillDoc[];
  let pool = new Dec(0);
  for (const b of bills) {
    if (b.kind === 'ADVANCE') pool = pool.plus(b.creditableAdvance ?? '0');
    else if (b.status !== 'DRAFT') for (const x of b.selectionAmounts ?? []) if (x.startsWith(`${selectionId}|`)) pool = pool.minus(x.split('|')[2]);
  }
  return formatRecordAmount(Dec.max(0, pool));
}
