import { Dec } from '../../domain';
import type { SlotDoc, UsageTotalsDoc } from '../../store/models';
import type { Identity } from '@exchange/platform';
import { periodOf, type Deps } from '../deps';
import { requestRecordsScope } from '../listings';

export interface UsageSummaryRow {
  period: string;
  serviceType: string;
  unit: string;
  records: number;
  billableQuantity: string;
  amount: { amount: string; currency: string };
}

/**
 * Totals of the usage rated for a request, per billing period, service type, unit and currency,
 * from the running totals rating keeps on each (selection, period)'s latest tier slot: a few
 * reads by index and _id whatever the number of records. `scope` narrows to a party's own.
 */
export async function usageSummary(deps: Pick<Deps, 'models'>, requestId: string, scope: Record<string, unknown>): Promise<UsageSummaryRow[]> {
  const totals = (await deps.models.UsageTotals.find({ requestId, ...scope }).lean().exec()) as UsageTotalsDoc[];
  const latest = await latestSlots(deps, totals);
  const acc = new Map<string, { period: string; serviceType: string; unit: string; records: number; qty: Dec; amount: Dec; currency: string }>();
  const add = (period: string, serviceType: string, unit: string, currency: string, records: number, qty: Dec, amount: Dec) => {
    const k = `${period}|${serviceType}|${unit}|${currency}`;
    const cur = acc.get(k) ?? { period, serviceType, unit, records: 0, qty: new Dec(0), amount: new Dec(0), currency };
    cur.records += records;
    cur.qty = cur.qty.plus(qty);
    cur.amount = cur.amount.plus(amount);
    acc.set(k, cur);
  };
  for (const t of totals) {
    const slot = latest.get(t._id);
    if (!slot) continue; // created, but nothing rated under it yet
    if (slot.records == null) {
      // A chain started before running totals were kept: add its records up once more.
      const cursor = deps.models.BillingRecord.find({ requestId: t.requestId, selectionId: t.selectionId }).lean().cursor({ batchSize: 2000 });
      for await (const r of cursor) {
        if ((r.period ?? periodOf(r.intervalStart)) === t.period) add(t.period, r.serviceType, r.unit, r.currency, 1, new Dec(r.billableQuantity), new Dec(r.amount));
      }
      continue;
    }
    add(t.period, t.serviceType, t.unit, t.currency, slot.records, new Dec(slot.quantity ?? '0'), new Dec(slot.amount ?? '0'));
  }
  return [...acc.values()]
    .filter((s) => s.records > 0)
    .sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0))
    .map((s) => ({ period: s.period, serviceType: s.serviceType, unit: s.unit, records: s.records, billableQuantity: s.qty.toFixed(), amount: { amount: s.amount.toFixed(6), currency: s.currency } }));
}

/**
 * The latest slot of each key. The totals document's seq is a lower bound (it is advanced after
 * the slot is written, so a crash can leave it behind); slots are dense, so later ones are found
 * by _id, seq + 1 onwards, until one is missing.
 */
async function latestSlots(deps: Pick<Deps, 'models'>, totals: UsageTotalsDoc[]): Promise<Map<string, SlotDoc>> {
  const out = new Map<string, SlotDoc>();
  let probe = new Map(totals.map((t) => [t._id, t.seq]));
  // The slots the documents name first, then forward probes.
  const known = totals.filter((t) => t.seq > 0).map((t) => `${t._id}|${t.seq}`);
  for (const s of (await deps.models.Slot.find({ _id: { $in: known } }).lean().exec()) as SlotDoc[]) out.set(s.key, s);
  for (let round = 0; probe.size && round < 10_000; round++) {
    const ids = [...probe].map(([key, seq]) => `${key}|${seq + 1}`);
    const found = (await deps.models.Slot.find({ _id: { $in: ids } }).lean().exec()) as SlotDoc[];
    const next = new Map<string, number>();
    for (const s of found) {
      out.set(s.key, s);
      next.set(s.key, s.seq);
    }
    probe = next;
  }
  return out;
}

/** A request's usage summary over the records this caller may see (FORBIDDEN for a role that sees none). */
export function requestUsageSummary(deps: Pick<Deps, 'models'>, who: Identity, requestId: string): Promise<UsageSummaryRow[]> {
  const { requestId: _r, ...scope } = requestRecordsScope(who, requestId);
  return usageSummary(deps, requestId, scope);
}
