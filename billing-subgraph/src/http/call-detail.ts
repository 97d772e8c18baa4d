import { once } from 'node:events';
import type { Response } from 'express';
import { CALL_DETAIL_HEADER, callDetailRow, periodRateMap, type CallDetailRow } from '../domain';
import { billedRecordPages } from '../store/bill-claims';
import type { BillDoc, BillingModels, BillingRecordDoc } from '../store/models';
import { csvCell, csvText } from './csv';
import { zoneOf } from './invoice-format';

const rowOf = (r: BillingRecordDoc, zone: string, rates: Map<string, string>): CallDetailRow =>
  callDetailRow({ ...r, rates: r.segments.map((s) => s.ratePerUnit) }, zone, rates);

// Amounts at the record precision (6 dp: the rows add up exactly to the bill's usage amount); a
// called number "+44…" is a quoted text cell (csvText), never a number or a formula.
const csvLine = (row: CallDetailRow) =>
  [row.recordId, row.startLocal, row.offset, row.startUtc, row.calledNumber, row.endUser, row.seconds, row.quantity, row.unit, row.rate, row.amount]
    .map((v, i) => (i === 4 ? csvText(v) : csvCell(v)))
    .join(',') + '\r\n';

/**
 * GET /bills/<id>.calls.csv: one row per billing record the bill charged, streamed page by page
 * with backpressure (a bill can have millions of rows; none is held beyond its page).
 */
export async function streamCallDetailCsv(models: BillingModels, bill: BillDoc, res: Response): Promise<void> {
  const zone = zoneOf(bill);
  const rates = periodRateMap(bill.periodRates);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="${bill.number ?? bill._id}-calls.csv"`);
  res.write(`${CALL_DETAIL_HEADER.map((h) => (h === 'start_local' ? `start_local (${zone})` : h)).map(csvCell).join(',')}\r\n`);
  for await (const page of billedRecordPages(models, bill._id)) {
    if (res.destroyed) return;
    if (!res.write(page.map((r) => csvLine(rowOf(r, zone, rates))).join(''))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  res.end();
}

/** The annex rows of a bill small enough to print them (at most `max`); null when it has more. */
export async function callDetailRows(models: BillingModels, bill: BillDoc, max: number): Promise<CallDetailRow[] | null> {
  if ((bill.recordCount ?? 0) > max) return null;
  const zone = zoneOf(bill);
  const rates = periodRateMap(bill.periodRates);
  const rows: CallDetailRow[] = [];
  for await (const page of billedRecordPages(models, bill._id, Math.max(1, Math.min(max, 1000)))) {
    for (const r of page) rows.push(rowOf(r, zone, rates));
    if (rows.length > max) return null;
  }
  return rows;
}
