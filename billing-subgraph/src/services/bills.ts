import { ascendingPages, DATE_MAX } from '@exchange/platform';
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
  type PeriodUsage,
  percentileBillRecords,
  volumePeriodRecords,
} from '../domain';
import type { BillClaimDoc, BillDoc, BillingRecordDoc, BillLineDoc, SelectionDoc } from '../store/models';
import { badInput, isDuplicateKey } from './access';
import type { Deps } from './deps';
import { createDeliveries, deliverIssuedNow } from './delivery';
import { insertIgnoringDuplicates } from './rating';
import { claimNextSlot } from './slots';
import { segmentsOf, STORED_SEGMENT_FIELDS, type StoredBillingRecord } from '../store/billing-record-format';

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
 * What issuing a bill posts before its status flips: the ledger entries and the deliveries, both
 * under deterministic ids, so a re-run after a crash posts nothing twice. Returns the status the
 * bill is issued with.
 */
async function postIssue(deps: Deps, bill: BillDoc, now: Date): Promise<'PAID' | 'ISSUED'> {
  const sets = postingsForBillIssued({ billId: bill._id, buyerId: bill.buyerId!, carrierId: bill.carrierId!, currency: bill.currency!, total: bill.total! });
  const ledger = sets.flatMap((s, i) =>
    s.postings.map((p, j) => ({ _id: `${bill._id}|issued|${i}|${j}`, event: s.event, account: p.account, amount: p.amount, currency: p.currency, billId: bill._id, paymentId: null, description: s.description, postedAt: now })),
  );
  await insertIgnoringDuplicates(deps.models.Ledger, ledger);
  await createDeliveries(deps, bill, now);
  return new Dec(bill.total!).isZero() ? 'PAID' : 'ISSUED';
}

/**
 * DRAFT -> ISSUED. Ledger postings and delivery records are written first with deterministic
 * ids (re-running after a crash writes nothing twice), then the status flips conditionally, then
 * the bill is posted and announced through its delivery records (the outbox).
 */
export async function finishIssue(deps: Deps, draft: BillDoc): Promise<BillDoc> {
  const { Bill } = deps.models;
  const now = new Date();
  const number = draft.number ?? (await allocateNumber(deps, now));
  if (!draft.number) await Bill.updateOne({ _id: draft._id, status: 'DRAFT', number: { $exists: false } }, { $set: { number } }).exec();
  const bill = (await Bill.findById(draft._id).lean().exec()) as BillDoc;
  if (bill.status !== 'DRAFT') return bill;
  const status = await postIssue(deps, bill, now);
  const issued = await Bill.findOneAndUpdate(
    { _id: bill._id, status: 'DRAFT' },
    { $set: { status, issuedAt: now, dueAt: new Date(now.getTime() + PAYMENT_TERMS_DAYS * 86_400_000), number: bill.number ?? number } },
    { returnDocument: 'after' },
  ).lean().exec();
  if (!issued) return (await Bill.findById(bill._id).lean().exec()) as BillDoc;
  await announceIssued(deps, issued as BillDoc);
  return issued as BillDoc;
}

/**
 * Posts and announces an issued bill through its delivery records (the outbox, services/delivery.ts):
 * each is marked DELIVERED only once it happened, and one not sent now (a crash, a pub/sub
 * failure) stays PENDING for the worker. Also called for a bill found already issued
 * (ensureAdvanceBill on a re-delivery), which completes the announcement of a run that died.
 */
export async function announceIssued(deps: Deps, bill: BillDoc): Promise<void> {
  if (bill.status === 'DRAFT') return;
  await deliverIssuedNow(deps, bill);
  deps.kickDeliveries();
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
  // A bill found issued may be one whose issuing run died before announcing it.
  else await announceIssued(deps, bill);
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
 * DRAFT, claims the records (one unique claim per record) and issues it; the other waits and
 * returns the same bill.
 *
 * Cost: ONE streaming pass over the period's billing records bills every group that has neither a
 * bill nor a claimed record yet (a period's first run): its draft is created when its first record
 * is seen, and each record is claimed for it in chunks and added to its per-line totals, so memory
 * holds one entry per bill line, never per record, and the records are read once whatever the
 * number of groups. The same pass counts each group's records; groups with earlier bills that
 * still have unclaimed records (ADJUSTMENTs for late usage), and DRAFTs left by a crashed or
 * concurrent run, go through the per-group path (billGroup).
 */
export async function generateBills(deps: Deps, periodInput: { start?: unknown; end?: unknown }, groupBy: Grouping): Promise<{ bills: BillDoc[]; issued: number }> {
  const { start, end } = parsePeriod(periodInput);
  const { Bill, BillClaim } = deps.models;
  const runId = randomUUID();
  const match = { intervalStart: { $gte: start, $lt: end } };
  const idSpec: Record<string, string> = { buyerId: '$buyerId', carrierId: '$carrierId', currency: '$currency' };
  if (groupBy === 'BUYER_REQUEST') idSpec.requestId = '$requestId';
  const groupOf = (id: { buyerId: string; carrierId: string; currency: string; requestId?: string | null }): Group => ({
    buyerId: id.buyerId,
    carrierId: id.carrierId,
    currency: id.currency,
    requestId: groupBy === 'BUYER_REQUEST' ? (id.requestId ?? null) : null,
  });
  // Claimed records per group (one aggregation) and the period's bills for this grouping (one read).
  const claimedRows = await BillClaim.aggregate<{ _id: Group; n: number }>([{ $match: match }, { $group: { _id: idSpec, n: { $sum: 1 } } }]).exec();
  const claimedCounts = new Map<string, number>();
  for (const r of claimedRows) claimedCounts.set(groupKeyOf(groupOf(r._id), groupBy, start, end), r.n);
  const periodBills = (await Bill.find({ groupBy, periodStart: start, periodEnd: end }).select({ groupKey: 1, status: 1, buyerId: 1, carrierId: 1, requestId: 1, currency: 1 }).lean().exec()) as BillDoc[];
  const billed = new Set<string>();
  const other = new Map<string, Group>();
  for (const d of periodBills) {
    billed.add(d.groupKey!);
    // Drafts left by a crashed or concurrent run for this period are groups too.
    if (d.status === 'DRAFT') other.set(d.groupKey!, { buyerId: d.buyerId!, carrierId: d.carrierId!, requestId: d.requestId ?? null, currency: d.currency! });
  }
  // Selections with a minimum charge that were active in the period owe at least the minimum,
  // even without usage: their group gets a PERIODIC bill (top-up line only) too.
  const minimumSelections = new Map<string, string[]>();
  const minimumGroups = new Map<string, Group>();
  // Both bounds on intervalEnd keep the read on its index (FerretDB/SQLite serves date ranges only).
  const active = (await deps.models.Selection.find({ intervalEnd: { $gt: start, $lte: DATE_MAX }, intervalStart: { $lt: end }, 'incentive.minimumCharge': { $exists: true } }).lean().exec()) as SelectionDoc[];
  for (const s of active) {
    if (s.incentive.minimumCharge === undefined || s.incentive.minimumCharge === null) continue;
    const g: Group = { buyerId: s.buyerId, carrierId: s.carrierId, currency: s.incentive.currency, requestId: groupBy === 'BUYER_REQUEST' ? s.requestId : null };
    const key = groupKeyOf(g, groupBy, start, end);
    minimumGroups.set(key, g);
    minimumSelections.set(key, [...(minimumSelections.get(key) ?? []), s._id]);
  }

  const isFresh = (key: string) => !billed.has(key) && !claimedCounts.has(key);
  const pass = await billFreshGroups(deps, { groupBy, start, end, runId, isFresh, minimumSelections, minimumGroups });
  let issued = pass.issued;
  for (const [key, g] of pass.lost) other.set(key, g);
  // Groups billed before that have records nobody claimed yet (late usage): ADJUSTMENT bills.
  for (const [key, { group, records }] of pass.seen) {
    if (!isFresh(key) && records > (claimedCounts.get(key) ?? 0)) other.set(key, group);
  }
  const ordered = [...other].sort(([a, ga], [b, gb]) => (ga.buyerId < gb.buyerId ? -1 : ga.buyerId > gb.buyerId ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const [groupKey, g] of ordered) issued += await billGroup(deps, groupKey, g, groupBy, start, end, runId, minimumSelections.get(groupKey) ?? []);

  await deps.models.Counter.deleteOne({ _id: heartbeatId(runId) }).exec();

  const bills = (await Bill.find({ groupBy, periodStart: start, periodEnd: end, status: { $ne: 'DRAFT' } }).lean().exec()) as BillDoc[];
  bills.sort((a, b) => (a.buyerId! < b.buyerId! ? -1 : a.buyerId! > b.buyerId! ? 1 : a.groupKey! < b.groupKey! ? -1 : a.groupKey! > b.groupKey! ? 1 : a.sequence! - b.sequence!));
  return { bills, issued };
}

const heartbeatId = (runId: string) => `billrun|${runId}`;

/** Records that bill run `runId` is alive (its drafts are leased to it). */
async function beat(deps: Deps, runId: string): Promise<void> {
  await deps.models.Counter.updateOne({ _id: heartbeatId(runId) }, { $set: { value: new Date().toISOString() } }, { upsert: true }).exec();
}

/** A DRAFT whose run has neither created it nor sent a heartbeat within DRAFT_LEASE_MS belongs to a run that died. */
async function leaseExpired(deps: Deps, draft: BillDoc): Promise<boolean> {
  const now = Date.now();
  if (now - (draft.draftAt?.getTime() ?? 0) <= DRAFT_LEASE_MS) return false;
  if (!draft.runId) return true;
  const hb = await deps.models.Counter.findById(heartbeatId(draft.runId)).lean().exec();
  return !hb || now - Date.parse(hb.value) > DRAFT_LEASE_MS;
}

function newDraft(deps: Deps, groupKey: string, g: Group, groupBy: Grouping, start: Date, end: Date, runId: string, sequence: number): BillDoc {
  const now = new Date();
  return {
    _id: newBillId(),
    key: `${groupKey}|${sequence}`,
    groupKey,
    kind: sequence === 0 ? 'PERIODIC' : 'ADJUSTMENT',
    groupBy,
    buyerId: g.buyerId,
    carrierId: g.carrierId,
    requestId: g.requestId,
    selectionIds: [],
    periodStart: start,
    periodEnd: end,
    sequence,
    currency: g.currency,
    lines: [],
    endUserSubtotals: [],
    selectionAmounts: [],
    status: 'DRAFT',
    paidAmount: '0',
    payments: [],
    version: 0,
    recordCount: 0,
    issuedAt: now,
    draftAt: now,
    runId,
    deliveryPath: deps.config.BILL_DELIVERY_PATH,
  };
}

/**
 * The single pass: streams the period's billing records (no sort: the database need not buffer
 * them), counts them per group, and bills the fresh groups (no bill, no claim): a group's draft is
 * inserted when its first record is seen (the unique key is its lock; a group whose draft another
 * run inserted first is left to that run), each record is claimed for its draft in chunks, and only
 * the claims this run inserted count. Fresh minimum-charge groups without records get their draft
 * after the pass. The drafts are then completed and issued in group order.
 */
async function billFreshGroups(
  deps: Deps,
  o: {
    groupBy: Grouping;
    start: Date;
    end: Date;
    runId: string;
    isFresh: (groupKey: string) => boolean;
    minimumSelections: Map<string, string[]>;
    minimumGroups: Map<string, Group>;
  },
): Promise<{ issued: number; lost: Map<string, Group>; seen: Map<string, { group: Group; records: number }> }> {
  const { BillClaim, BillingRecord, Selection } = deps.models;
  const { groupBy, start, end, runId } = o;
  const seen = new Map<string, { group: Group; records: number }>();
  const lost = new Map<string, Group>();
  const mine = new Map<string, { group: Group; draft: BillDoc; agg: DraftAgg }>();
  const pendingDrafts = new Map<string, Group>();

  /** Inserts the drafts of groups first seen since the last call; returns the groups this run now owns. */
  const createDrafts = async () => {
    if (pendingDrafts.size === 0) return;
    const entries = [...pendingDrafts];
    pendingDrafts.clear();
    const drafts = entries.map(([key, g]) => newDraft(deps, key, g, groupBy, start, end, runId, 0));
    const dup = await insertIgnoringDuplicates(deps.models.Bill, drafts);
    entries.forEach(([key, group], i) => {
      if (dup.has(i)) lost.set(key, group);
      else mine.set(key, { group, draft: drafts[i], agg: newAgg() });
    });
  };

  // This run's drafts stay leased while the pass and the issuing take their time: one heartbeat
  // document per run (another run takes a DRAFT over only once both its draftAt and its run's
  // heartbeat are older than DRAFT_LEASE_MS). Renewing the drafts themselves would rewrite every
  // one of them each time.
  let renewedAt = Date.now();
  const renewLease = async () => {
    if (Date.now() - renewedAt < DRAFT_LEASE_MS / 4 || mine.size === 0) return;
    renewedAt = Date.now();
    await beat(deps, runId);
  };

  let chunk: { rec: ClaimableRecord; key: string }[] = [];
  // One chunk's claims are written while the next chunk is read (at most one write in flight), so
  // the database decodes records and stores claims at the same time.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    await renewLease();
    await createDrafts();
    const owned = chunk.filter((c) => mine.has(c.key));
    chunk = [];
    await writing;
    if (owned.length === 0) return;
    writing = (async () => {
      const claimDup = await insertIgnoringDuplicates(BillClaim, owned.map((c) => claimDoc(c.rec, mine.get(c.key)!.draft._id)));
      // A duplicate is a record another bill (e.g. a concurrent run of the other grouping) claimed first.
      owned.forEach((c, i) => {
        if (!claimDup.has(i)) addRecord(mine.get(c.key)!.agg, c.rec);
      });
    })();
    // Observed here too, so a failed write never goes unhandled while the next chunk is read.
    writing.catch(() => undefined);
  };
  // Read in pages (no read stays open while claims are written: see ascendingPages).
  const records = ascendingPages<StoredBillingRecord>(BillingRecord, { intervalStart: { $gte: start, $lt: end } }, { field: 'intervalStart', pageSize: 2000, select: CLAIMABLE_FIELDS });
  for await (const doc of records) {
    const rec = claimable(doc as Partial<StoredBillingRecord>);
    const group: Group = { buyerId: rec.buyerId, carrierId: rec.carrierId, currency: rec.currency, requestId: groupBy === 'BUYER_REQUEST' ? rec.requestId : null };
    const key = groupKeyOf(group, groupBy, start, end);
    const s = seen.get(key);
    if (s) s.records++;
    else {
      seen.set(key, { group, records: 1 });
      if (o.isFresh(key)) pendingDrafts.set(key, group);
    }
    if (!o.isFresh(key) || lost.has(key)) continue;
    chunk.push({ rec, key });
    if (chunk.length >= 2000) await flush();
  }
  for (const [key, g] of o.minimumGroups) if (!seen.has(key) && o.isFresh(key)) pendingDrafts.set(key, g);
  await flush();
  await writing;
  if (mine.size === 0) return { issued: 0, lost, seen };

  // Selections and advance pools of every draft, read once.
  const selectionIds = new Set<string>();
  for (const [key, { agg }] of mine) {
    for (const id of o.minimumSelections.get(key) ?? []) if (!agg.perSelection.has(id)) agg.perSelection.set(id, newSelectionAgg());
    for (const id of agg.perSelection.keys()) selectionIds.add(id);
  }
  const ids = [...selectionIds];
  const selections = new Map(((await Selection.find({ _id: { $in: ids } }).lean().exec()) as SelectionDoc[]).map((s) => [s._id, s]));
  const pools = await advancePools(deps, ids);

  const ordered = [...mine].sort(([a, x], [b, y]) => (x.group.buyerId < y.group.buyerId ? -1 : x.group.buyerId > y.group.buyerId ? 1 : a < b ? -1 : a > b ? 1 : 0));
  let issued = 0;
  for (const [, { draft, agg }] of ordered) {
    await renewLease();
    const fields = await assembleDraft(deps, draft, agg, [], selections, async (id) => pools.get(id) ?? formatRecordAmount(0));
    if (await issueCompleted(deps, draft, fields)) issued++;
  }
  if (issued) deps.kickDeliveries();
  return { issued, lost, seen };
}

/**
 * Issues a draft whose lines were computed by this run in one update (lines, totals, number and
 * status together), if it is still this run's DRAFT. Ledger postings and delivery records are written first with
 * deterministic ids, so a run that dies before the update leaves a DRAFT that another run
 * completes without posting anything twice; the announcement goes through the delivery records (the outbox).
 */
async function issueCompleted(deps: Deps, draft: BillDoc, fields: Partial<BillDoc>): Promise<boolean> {
  const { Bill } = deps.models;
  const now = new Date();
  const number = await allocateNumber(deps, now);
  const bill: BillDoc = { ...draft, ...fields, number };
  const status = await postIssue(deps, bill, now);
  // Only if it is still this run's DRAFT: one conditional update, atomic on MongoDB and on the
  // patched embedded engine (a run that took the draft over after this run's lease expired wins).
  const issuedNow = await Bill.updateOne(
    { _id: bill._id, status: 'DRAFT', runId: draft.runId },
    { $set: { ...fields, number, status, issuedAt: now, dueAt: new Date(now.getTime() + PAYMENT_TERMS_DAYS * 86_400_000) } },
  ).exec();
  if (issuedNow.matchedCount === 0) return false;
  await deliverIssuedNow(deps, { ...bill, status });
  return true;
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
      if (last.runId === runId || (await leaseExpired(deps, last))) {
        await completeDraft(deps, last, recordFilter, existing.slice(0, -1), last.sequence === 0 ? minimumSelections : []);
        issued++;
      } else await sleep(50); // another run is issuing it
      continue;
    }
    const minimumOnly = existing.length === 0 && minimumSelections.length > 0;
    if (!minimumOnly && !(await hasUnclaimed(deps, recordFilter))) return issued;
    const draft = newDraft(deps, groupKey, g, groupBy, start, end, runId, existing.length);
    try {
      await Bill.create(draft);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await sleep(20); // a concurrent run won this sequence; wait for it on the next turn
    }
  }
  throw new Error(`billing group ${groupKey} did not settle`);
}

/** Per-line totals of one selection on a bill (one entry per end user / unit / tier / rate). */
interface SelectionAgg {
  lines: Map<string, { endUserId: string | null; unit: string; tierIndex: number; ratePerUnit: string; amount: Dec; quantity: Dec; base: Dec }>;
  count: number;
  samples: string[];
  /** PERCENTILE_95 samples with time and meter (domain/percentile.ts). */
  slotSamples: string[];
}

interface DraftAgg {
  perSelection: Map<string, SelectionAgg>;
  recordCount: number;
}

const newSelectionAgg = (): SelectionAgg => ({ lines: new Map(), count: 0, samples: [], slotSamples: [] });
const newAgg = (): DraftAgg => ({ perSelection: new Map(), recordCount: 0 });

function addRecord(agg: DraftAgg, r: ClaimableRecord): void {
  agg.recordCount++;
  let sa = agg.perSelection.get(r.selectionId);
  if (!sa) agg.perSelection.set(r.selectionId, (sa = newSelectionAgg()));
  sa.count++;
  if (r.samplesMbps) for (const m of r.samplesMbps) sa.samples.push(m);
  if (r.slotSamples) for (const m of r.slotSamples) sa.slotSamples.push(m);
  for (const seg of r.segments) {
    const key = `${r.endUserId === undefined || r.endUserId === null ? '\u0001' : `=${r.endUserId}`}\u0000${r.unit}\u0000${seg.tierIndex}\u0000${seg.ratePerUnit}`;
    const cur = sa.lines.get(key);
    if (cur) {
      cur.amount = cur.amount.plus(seg.amount);
      cur.quantity = cur.quantity.plus(seg.quantity);
      cur.base = cur.base.plus(seg.baseQuantity);
    } else {
      sa.lines.set(key, { endUserId: r.endUserId ?? null, unit: r.unit, tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit, amount: new Dec(seg.amount), quantity: new Dec(seg.quantity), base: new Dec(seg.baseQuantity) });
    }
  }
}

function recordInputs(sa: SelectionAgg): BillRecordInput[] {
  return [...sa.lines.values()].map((l) => ({
    billingRecordId: JSON.stringify([l.endUserId, l.unit, l.tierIndex, l.ratePerUnit]),
    endUserId: l.endUserId,
    amount: l.amount.toFixed(),
    quantity: l.quantity.toFixed(),
    unit: l.unit,
    tierIndex: l.tierIndex,
    ratePerUnit: l.ratePerUnit,
  }));
}

/** VOLUME: the period's records re-rated at the tier the period's total reached (domain/volume-period.ts). */
function volumeRerated(incentive: EconomicIncentive, sa: SelectionAgg): BillRecordInput[] | null {
  const perLine = new Map<string, PeriodUsage>();
  for (const l of sa.lines.values()) {
    const key = JSON.stringify([l.endUserId, l.unit]);
    const cur = perLine.get(key);
    if (cur) cur.baseQuantity = new Dec(cur.baseQuantity).plus(l.base).toFixed();
    else perLine.set(key, { endUserId: l.endUserId, unit: l.unit, baseQuantity: l.base.toFixed() });
  }
  return volumePeriodRecords(incentive, [...perLine.values()]);
}

/**
 * PERCENTILE_95 data is charged per billing period on the bill: the 95th percentile of all the
 * period's 5-minute samples of the selection, priced per Mbps. An ADJUSTMENT re-computes the
 * percentile over every sample of the period (earlier bills' and the late ones) and charges the
 * increase over what the earlier bills charged (never a negative line).
 */
async function percentileRecords(deps: Deps, s: SelectionDoc, agg: SelectionAgg, earlier: BillDoc[], alreadyBilled: Dec, period: { start: Date; end: Date }): Promise<BillRecordInput[]> {
  let samples = agg.samples;
  let slotSamples = agg.slotSamples;
  if (earlier.length) {
    samples = [...samples];
    slotSamples = [...slotSamples];
    const cursor = deps.models.BillClaim.find({ billId: { $in: earlier.map((b) => b._id) }, selectionId: s._id }).select({ samplesMbps: 1, slotSamples: 1 }).lean().cursor({ batchSize: 2000 });
    for await (const r of cursor) {
      for (const m of r.samplesMbps ?? []) samples.push(m);
      for (const m of r.slotSamples ?? []) slotSamples.push(m);
    }
  }
  // Samples with time and meter: 5-minute slots over the part of the period the selection covers.
  if (slotSamples.length > 0) {
    const window = { start: new Date(Math.max(period.start.getTime(), s.intervalStart.getTime())), end: new Date(Math.min(period.end.getTime(), s.intervalEnd.getTime())) };
    return percentileBillRecords(s.incentive as EconomicIncentive, slotSamples, window, earlier.length ? alreadyBilled : null);
  }
  // Records rated before samples kept their time (samplesMbps only): the per-sample percentile.
  if (samples.length === 0) return [];
  const r = ratePercentile(s.incentive as EconomicIncentive, samples);
  if (earlier.length === 0) {
    return r.segments.map((seg) => ({ billingRecordId: `p95-${seg.tierIndex}`, amount: seg.amount, quantity: seg.quantity, unit: 'MBPS_P95', tierIndex: seg.tierIndex, ratePerUnit: seg.ratePerUnit, description: `95th percentile ${r.p95Mbps} Mbps of ${r.sampleCount} samples (${r.droppedSamples} highest dropped), tier ${seg.tierIndex} at ${seg.ratePerUnit} ${(s.incentive as EconomicIncentive).currency}/Mbps` }));
  }
  const delta = Dec.max(0, new Dec(r.amount).minus(alreadyBilled));
  const last = r.segments[r.segments.length - 1];
  return [{ billingRecordId: 'p95-adjustment', amount: formatRecordAmount(delta), quantity: '0', unit: 'MBPS_P95', tierIndex: last?.tierIndex ?? 0, ratePerUnit: last?.ratePerUnit ?? '0', description: `95th percentile recomputed with late samples: ${r.p95Mbps} Mbps, ${r.amount} for the period, ${alreadyBilled.toFixed(6)} billed before` }];
}

type ClaimableRecord = Pick<BillingRecordDoc, '_id' | 'selectionId' | 'endUserId' | 'unit' | 'segments' | 'samplesMbps' | 'slotSamples' | 'buyerId' | 'carrierId' | 'requestId' | 'currency' | 'intervalStart'>;
const CLAIMABLE_FIELDS = { selectionId: 1, endUserId: 1, unit: 1, samplesMbps: 1, slotSamples: 1, buyerId: 1, carrierId: 1, requestId: 1, currency: 1, intervalStart: 1, ...STORED_SEGMENT_FIELDS };
/** A record as read with CLAIMABLE_FIELDS, its segments rebuilt from the stored form. */
const claimable = (doc: Partial<StoredBillingRecord>): ClaimableRecord => ({ ...(doc as ClaimableRecord), segments: segmentsOf(doc) });

function claimDoc(r: ClaimableRecord, billId: string): BillClaimDoc {
  const c: BillClaimDoc = { _id: r._id, billId, buyerId: r.buyerId, carrierId: r.carrierId, requestId: r.requestId, currency: r.currency, intervalStart: r.intervalStart, selectionId: r.selectionId };
  if (r.samplesMbps) c.samplesMbps = r.samplesMbps;
  if (r.slotSamples) c.slotSamples = r.slotSamples;
  return c;
}

/**
 * Streams the group's billing records in (intervalStart, _id) order together with the claims on
 * them (a claim carries its record's intervalStart: same filter, same order, a merge join in
 * constant memory, read in pages). claimedBy = the bill a record is on.
 */
async function* withClaims(deps: Deps, filter: Record<string, unknown>): AsyncGenerator<{ rec: ClaimableRecord; claimedBy: string | null }> {
  const records = ascendingPages<StoredBillingRecord>(deps.models.BillingRecord, filter, { field: 'intervalStart', pageSize: 2000, select: CLAIMABLE_FIELDS });
  const claims = ascendingPages<BillClaimDoc>(deps.models.BillClaim, filter, { field: 'intervalStart', pageSize: 5000, select: { billId: 1 } });
  const before = (a: { intervalStart: Date; _id: string }, b: { intervalStart: Date; _id: string }) =>
    a.intervalStart.getTime() < b.intervalStart.getTime() || (a.intervalStart.getTime() === b.intervalStart.getTime() && a._id < b._id);
  try {
    let claim = (await claims.next()).value as BillClaimDoc | undefined;
    for await (const doc of records) {
      const rec = claimable(doc as Partial<StoredBillingRecord>);
      while (claim && before(claim, rec)) claim = (await claims.next()).value as BillClaimDoc | undefined;
      yield { rec, claimedBy: claim && claim._id === rec._id ? claim.billId : null };
    }
  } finally {
    await claims.return(undefined);
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
  const agg = newAgg();
  let chunk: ClaimableRecord[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const dup = await insertIgnoringDuplicates(BillClaim, chunk.map((r) => claimDoc(r, draft._id)));
    chunk.forEach((r, i) => {
      if (!dup.has(i)) addRecord(agg, r);
    });
    chunk = [];
  };
  for await (const { rec, claimedBy } of withClaims(deps, recordFilter)) {
    if (claimedBy === draft._id) addRecord(agg, rec);
    else if (claimedBy === null) {
      chunk.push(rec);
      if (chunk.length >= 2000) await flush();
    }
  }
  await flush();
  for (const id of minimumSelections) if (!agg.perSelection.has(id)) agg.perSelection.set(id, newSelectionAgg());

  const ids = [...agg.perSelection.keys()];
  const selections = new Map(((await Selection.find({ _id: { $in: ids } }).lean().exec()) as SelectionDoc[]).map((s) => [s._id, s]));
  const fields = await assembleDraft(deps, draft, agg, earlier, selections, (id) => advancePool(deps, id, draft._id));
  await Bill.updateOne({ _id: draft._id, status: 'DRAFT' }, { $set: fields }).exec();
  const updated = (await Bill.findById(draft._id).lean().exec()) as BillDoc;
  return finishIssue(deps, updated);
}

/** The lines and totals of a draft from its per-line totals, per selection (minimum top-up, advance credit, percentile). */
async function assembleDraft(
  deps: Deps,
  draft: BillDoc,
  agg: DraftAgg,
  earlier: BillDoc[],
  selections: Map<string, SelectionDoc>,
  poolOf: (selectionId: string) => Promise<string>,
): Promise<Partial<BillDoc>> {
  const lines: BillLineDoc[] = [];
  const subtotals = new Map<string | null, { label: string; amount: Dec }>();
  const selectionAmounts: string[] = [];
  const totals = { usage: [] as string[], topUp: [] as string[], credit: [] as string[], subtotal: [] as string[] };
  const selectionIds = [...agg.perSelection.keys()].sort();
  for (const selectionId of selectionIds) {
    const s = selections.get(selectionId);
    if (!s) continue;
    const incentive = s.incentive as EconomicIncentive;
    const pool = await poolOf(selectionId);
    const alreadyBilled = sum(
      earlier.flatMap((b) => (b.selectionAmounts ?? []).filter((x) => x.startsWith(`${selectionId}|`)).map((x) => x.split('|')[1])),
    );
    const sa = agg.perSelection.get(selectionId)!;
    const records = (draft.kind === 'PERIODIC' ? volumeRerated(incentive, sa) : null) ?? recordInputs(sa);
    if (s.serviceType === 'DATA' && incentive.dataChargeModel === 'PERCENTILE_95') {
      records.push(...(await percentileRecords(deps, s, sa, draft.kind === 'ADJUSTMENT' ? earlier : [], alreadyBilled, { start: draft.periodStart!, end: draft.periodEnd! })));
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
  return {
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
    recordCount: agg.recordCount,
  };
}

/** advancePool for many selections from one read of their bills (fresh drafts are never among them: DRAFTs do not count). */
async function advancePools(deps: Deps, selectionIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (selectionIds.length === 0) return out;
  const wanted = new Set(selectionIds);
  const pools = new Map<string, Dec>();
  const bills = deps.models.Bill.find({ selectionIds: { $in: selectionIds } })
    .select({ kind: 1, creditableAdvance: 1, selectionAmounts: 1, status: 1, selectionIds: 1 })
    .lean()
    .cursor({ batchSize: 1000 });
  for await (const b of bills as AsyncIterable<BillDoc>) {
    if (b.kind === 'ADVANCE') {
      for (const id of b.selectionIds ?? []) if (wanted.has(id)) pools.set(id, (pools.get(id) ?? new Dec(0)).plus(b.creditableAdvance ?? '0'));
    } else if (b.status !== 'DRAFT') {
      for (const x of b.selectionAmounts ?? []) {
        const [id, , credit] = x.split('|');
        if (wanted.has(id)) pools.set(id, (pools.get(id) ?? new Dec(0)).minus(credit));
      }
    }
  }
  for (const id of selectionIds) out.set(id, formatRecordAmount(Dec.max(0, pools.get(id) ?? new Dec(0))));
  return out;
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
