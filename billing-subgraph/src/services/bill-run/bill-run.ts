import { ascendingPages, isDuplicateKey, insertIgnoringDuplicates } from '@exchange/platform';
import { randomUUID } from 'node:crypto';
import { formatRecordAmount, rulesAt } from '../../domain';
import { CLAIMABLE_FIELDS, claimable, claimDoc, hasUnclaimed, type ClaimableRecord } from '../../store/bill-claims';
import type { StoredBillingRecord } from '../../store/billing-record-format';
import { beat, DRAFT_LEASE_MS, endRun, leaseExpired } from '../../store/draft-lease';
import type { BillDoc, SelectionDoc } from '../../store/models';
import { advancePools } from './advance-credit';
import { addRecord, newAgg, newSelectionAgg, type DraftAgg } from './bill-aggregate';
import { assembleDraft, completeDraft } from './bill-draft';
import { issueCompleted, newBillId } from './bill-issue';
import type { Deps } from '../deps';
import { parsePeriod } from './period';
import { profilesOf } from '../../store/profiles';
import { minimumChargeSelectionsOverlapping } from '../../store/selection.model';

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

/** Which buyers a run bills: a billing cycle bills each group of buyers sharing period bounds on its own. */
export interface BillRunScope {
  /** Only these buyers. */
  buyers?: ReadonlySet<string>;
  /** Every buyer but these (billed by the cycle on other bounds). */
  exceptBuyers?: ReadonlySet<string>;
  /** The cycle's label, stored on the bills. */
  periodLabel?: string;
}

interface RunContext {
  scope: BillRunScope;
  inScope: (buyerId: string) => boolean;
  /** The zone of each buyer seen, from its profile (read once per buyer per run): the one in effect at the period start. */
  zones: Map<string, string>;
  periodStart: Date;
}

function runContext(scope: BillRunScope, periodStart: Date): RunContext {
  return { scope, zones: new Map(), periodStart, inScope: (b) => (!scope.buyers || scope.buyers.has(b)) && !scope.exceptBuyers?.has(b) };
}

/** Reads the profiles of the buyers not yet known to the run (one query). */
async function loadZones(deps: Deps, run: RunContext, buyerIds: string[]): Promise<void> {
  const missing = [...new Set(buyerIds)].filter((b) => !run.zones.has(b));
  if (missing.length === 0) return;
  const profiles = await profilesOf(deps.models.BillingProfile, missing.map((id) => ({ id, role: 'BUYER' as const })));
  for (const [id, p] of profiles) run.zones.set(id, rulesAt(p, run.periodStart).timeZone);
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
 *
 * `scope` restricts the run to some buyers (a billing cycle's group sharing these bounds, or
 * everyone else); the pass still reads the period's records by time and skips the others.
 */
export async function generateBills(deps: Deps, periodInput: { start?: unknown; end?: unknown }, groupBy: Grouping, scope: BillRunScope = {}): Promise<{ bills: BillDoc[]; issued: number }> {
  const { start, end } = parsePeriod(periodInput);
  const run = runContext(scope, start);
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
  for (const r of claimedRows) if (run.inScope(r._id.buyerId)) claimedCounts.set(groupKeyOf(groupOf(r._id), groupBy, start, end), r.n);
  const periodBills = (await Bill.find({ groupBy, periodStart: start, periodEnd: end }).select({ groupKey: 1, status: 1, buyerId: 1, carrierId: 1, requestId: 1, currency: 1 }).lean().exec()) as BillDoc[];
  const billed = new Set<string>();
  const other = new Map<string, Group>();
  for (const d of periodBills) {
    if (!run.inScope(d.buyerId!)) continue;
    billed.add(d.groupKey!);
    // Drafts left by a crashed or concurrent run for this period are groups too.
    if (d.status === 'DRAFT') other.set(d.groupKey!, { buyerId: d.buyerId!, carrierId: d.carrierId!, requestId: d.requestId ?? null, currency: d.currency! });
  }
  // Selections with a minimum charge that were active in the period owe at least the minimum,
  // even without usage: their group gets a PERIODIC bill (top-up line only) too.
  const minimumSelections = new Map<string, string[]>();
  const minimumGroups = new Map<string, Group>();
  const active = await minimumChargeSelectionsOverlapping(deps.models.Selection, start, end);
  for (const s of active) {
    if (s.incentive.minimumCharge === undefined || s.incentive.minimumCharge === null || !run.inScope(s.buyerId)) continue;
    const g: Group = { buyerId: s.buyerId, carrierId: s.carrierId, currency: s.incentive.currency, requestId: groupBy === 'BUYER_REQUEST' ? s.requestId : null };
    const key = groupKeyOf(g, groupBy, start, end);
    minimumGroups.set(key, g);
    minimumSelections.set(key, [...(minimumSelections.get(key) ?? []), s._id]);
  }

  const isFresh = (key: string) => !billed.has(key) && !claimedCounts.has(key);
  const pass = await billFreshGroups(deps, { groupBy, start, end, runId, isFresh, minimumSelections, minimumGroups, run });
  let issued = pass.issued;
  for (const [key, g] of pass.lost) other.set(key, g);
  // Groups billed before that have records nobody claimed yet (late usage): ADJUSTMENT bills.
  for (const [key, { group, records }] of pass.seen) {
    if (!isFresh(key) && records > (claimedCounts.get(key) ?? 0)) other.set(key, group);
  }
  const ordered = [...other].sort(([a, ga], [b, gb]) => (ga.buyerId < gb.buyerId ? -1 : ga.buyerId > gb.buyerId ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const [groupKey, g] of ordered) issued += await billGroup(deps, groupKey, g, groupBy, start, end, runId, minimumSelections.get(groupKey) ?? [], run);

  await endRun(deps.models, runId);

  const bills = ((await Bill.find({ groupBy, periodStart: start, periodEnd: end, status: { $ne: 'DRAFT' } }).lean().exec()) as BillDoc[]).filter((b) => run.inScope(b.buyerId!));
  bills.sort((a, b) => (a.buyerId! < b.buyerId! ? -1 : a.buyerId! > b.buyerId! ? 1 : a.groupKey! < b.groupKey! ? -1 : a.groupKey! > b.groupKey! ? 1 : a.sequence! - b.sequence!));
  return { bills, issued };
}

function newDraft(deps: Deps, groupKey: string, g: Group, groupBy: Grouping, start: Date, end: Date, runId: string, sequence: number, run: RunContext): BillDoc {
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
    timeZone: run.zones.get(g.buyerId) ?? 'UTC',
    periodLabel: run.scope.periodLabel ?? null,
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
    run: RunContext;
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
    await loadZones(deps, o.run, entries.map(([, g]) => g.buyerId));
    const drafts = entries.map(([key, g]) => newDraft(deps, key, g, groupBy, start, end, runId, 0, o.run));
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
    await beat(deps.models, runId);
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
    if (!o.run.inScope(rec.buyerId)) continue;
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

async function billGroup(deps: Deps, groupKey: string, g: Group, groupBy: Grouping, start: Date, end: Date, runId: string, minimumSelections: string[], run: RunContext): Promise<number> {
  const { Bill } = deps.models;
  const recordFilter: Record<string, unknown> = { intervalStart: { $gte: start, $lt: end }, buyerId: g.buyerId, carrierId: g.carrierId, currency: g.currency };
  if (groupBy === 'BUYER_REQUEST') recordFilter.requestId = g.requestId;
  let issued = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const existing = (await Bill.find({ groupKey }).sort({ sequence: 1 }).lean().exec()) as BillDoc[];
    const last = existing[existing.length - 1];
    if (last && last.status === 'DRAFT') {
      if (last.runId === runId || (await leaseExpired(deps.models, last))) {
        await completeDraft(deps, last, recordFilter, existing.slice(0, -1), last.sequence === 0 ? minimumSelections : []);
        issued++;
      } else await sleep(50); // another run is issuing it
      continue;
    }
    const minimumOnly = existing.length === 0 && minimumSelections.length > 0;
    if (!minimumOnly && !(await hasUnclaimed(deps.models, recordFilter))) return issued;
    await loadZones(deps, run, [g.buyerId]);
    const draft = newDraft(deps, groupKey, g, groupBy, start, end, runId, existing.length, run);
    try {
      await Bill.create(draft);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await sleep(20); // a concurrent run won this sequence; wait for it on the next turn
    }
  }
  throw new Error(`billing group ${groupKey} did not settle`);
}
