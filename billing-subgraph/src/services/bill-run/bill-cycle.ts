import { defaultProfile, periodOfLabel, periodOfLabelAt } from '../../domain';
import type { BillDoc } from '../../store/models';
import { cyclesOf } from '../../store/profiles';
import { badInput } from '../access';
import { generateBills, type Grouping } from './bill-run';
import type { Deps } from '../deps';

/**
 * runBillingCycle: bills the period labelled `label` ("2026-11") of every buyer in the buyer's
 * own zone and cycle day. Buyers whose period has the same bounds are billed by one run of
 * generateBills restricted to them; every buyer without a profile (or whose period is the UTC
 * month) by one more run on the UTC month that leaves the others out. Each run is generateBills
 * itself: idempotent, concurrency-safe, minimum charges per the buyer's period.
 */
export async function runBillingCycle(deps: Deps, label: unknown, groupBy: Grouping): Promise<{ bills: BillDoc[]; issued: number }> {
  if (typeof label !== 'string') throw badInput('period', 'period must be a billing month such as "2026-11"');
  const utc = periodOfLabel(defaultProfile('', 'BUYER'), label);
  const byBounds = new Map<string, { start: Date; end: Date; buyers: Set<string> }>();
  for (const p of await cyclesOf(deps.models.BillingProfile, 'BUYER')) {
    // The rules in effect for that period (a zone changed from a later boundary leaves it as it was).
    const period = periodOfLabelAt(p, label);
    if (period.start.getTime() === utc.start.getTime() && period.end.getTime() === utc.end.getTime()) continue;
    const key = `${period.start.toISOString()}|${period.end.toISOString()}`;
    let g = byBounds.get(key);
    if (!g) byBounds.set(key, (g = { start: period.start, end: period.end, buyers: new Set() }));
    g.buyers.add(p.partyId);
  }
  const profiled = new Set([...byBounds.values()].flatMap((g) => [...g.buyers]));
  const bills: BillDoc[] = [];
  let issued = 0;
  const runs = [...byBounds.values()].sort((a, b) => a.start.getTime() - b.start.getTime());
  for (const g of runs) {
    const r = await generateBills(deps, { start: g.start.toISOString(), end: g.end.toISOString() }, groupBy, { buyers: g.buyers, periodLabel: label });
    bills.push(...r.bills);
    issued += r.issued;
  }
  const rest = await generateBills(deps, { start: utc.start.toISOString(), end: utc.end.toISOString() }, groupBy, { exceptBuyers: profiled, periodLabel: label });
  bills.push(...rest.bills);
  issued += rest.issued;
  bills.sort((a, b) => (a.buyerId! < b.buyerId! ? -1 : a.buyerId! > b.buyerId! ? 1 : a.groupKey! < b.groupKey! ? -1 : a.groupKey! > b.groupKey! ? 1 : a.sequence! - b.sequence!));
  return { bills, issued };
}
