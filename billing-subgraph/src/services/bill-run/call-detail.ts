import { callDetailRow, periodRateMap, type CallDetailRow } from '../../domain';
import { billedRecordPages } from '../../store/bill-claims';
import type { BillDoc, BillingModels } from '../../store/models';

// A bill's call detail (its annex): one row per billing record the bill charged, in the bill's
// zone and with the rates of its periods. Read page by page: a bill can have millions of rows.

/** The zone a bill's local times are written in (UTC when drafted without a profile zone). */
export const billZone = (b: BillDoc): string => b.timeZone ?? 'UTC';

/** The bill's call-detail rows, one page (at most `pageSize` rows) at a time. */
export async function* callDetailPages(models: BillingModels, bill: BillDoc, pageSize = 1000): AsyncGenerator<CallDetailRow[]> {
  const zone = billZone(bill);
  const rates = periodRateMap(bill.periodRates);
  for await (const page of billedRecordPages(models, bill._id, pageSize)) {
    yield page.map((r) => callDetailRow({ ...r, rates: r.segments.map((s) => s.ratePerUnit) }, zone, rates));
  }
}

/** The annex rows of a bill small enough to print them (at most `max`); null when it has more. */
export async function callDetailRows(models: BillingModels, bill: BillDoc, max: number): Promise<CallDetailRow[] | null> {
  if ((bill.recordCount ?? 0) > max) return null;
  const rows: CallDetailRow[] = [];
  for await (const page of callDetailPages(models, bill, Math.max(1, Math.min(max, 1000)))) {
    rows.push(...page);
    if (rows.length > max) return null;
  }
  return rows;
}
