import { once } from 'node:events';
import type { Response } from 'express';
import { CALL_DETAIL_HEADER, type CallDetailRow } from '../domain';
import { billZone, callDetailPages } from '../services/bill-run';
import type { BillDoc, BillingModels } from '../store/models';
import { csvCell, csvText } from './csv';

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
  const zone = billZone(bill);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="${bill.number ?? bill._id}-calls.csv"`);
  res.write(`${CALL_DETAIL_HEADER.map((h) => (h === 'start_local' ? `start_local (${zone})` : h)).map(csvCell).join(',')}\r\n`);
  for await (const page of callDetailPages(models, bill)) {
    if (res.destroyed) return;
    if (!res.write(page.map(csvLine).join(''))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  res.end();
}
