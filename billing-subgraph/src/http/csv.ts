import { documentTitleOf, formatMoney, formatRate, localDateTime } from '../domain';
import type { BillDoc } from '../store/models';

/** A cell that is nothing but a number (an amount, a quantity): safe to leave as it is. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** Characters a spreadsheet may split a cell at (its locale's separator: `,` or `;`, tabs, line ends). */
const SEPARATOR = /[,;\t\r\n]/;
/** A formula's first character: = + - @, or a tab or carriage return before one. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell. A cell starting with = + - @, a tab or a carriage return would be read as a
 * formula by spreadsheets (CSV injection: a carrier's end-user id `-1+1+cmd|' /C calc'!A0`), and
 * so would any part after a separator: a spreadsheet in a semicolon locale splits
 * `VAT;=HYPERLINK(…)` into two cells. Every such part gets a ' before it, unless it is a plain
 * number (-12.50); the cell is quoted.
 */
export const csvCell = (s: unknown) => {
  const v = String(s ?? '');
  let safe = '';
  let start = 0;
  for (let i = 0; i <= v.length; i++) {
    if (i < v.length && !SEPARATOR.test(v[i])) continue;
    const part = v.slice(start, i);
    safe += FORMULA_START.test(part) && !PLAIN_NUMBER.test(part) ? `'${part}` : part;
    if (i < v.length) safe += v[i];
    start = i + 1;
  }
  // A leading tab or carriage return (separators themselves) still marks the whole cell.
  if (/^[\t\r]/.test(v)) safe = `'${safe}`;
  return /[",;\n\r]/.test(safe) || safe !== v ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/**
 * A cell that is text by nature and may start with '+' (a called number "+442071234567"): always
 * quoted, so a spreadsheet keeps it as text; only a plain "+digits" value skips csvCell's formula
 * guard (it cannot be a formula), everything else goes through csvCell.
 */
export const csvText = (s: unknown) => {
  const v = String(s ?? '');
  return /^\+\d{1,20}$/.test(v) ? `"${v}"` : csvCell(v);
};

/**
 * The bill's lines as CSV; taxed bills end with NET, one TAX row per tax line, then TOTAL.
 * Amounts are plain numbers at the currency's minor unit (the printed documents' precision);
 * rates keep the precision of the tariff (formatRate). The period is given in the bill's zone
 * (period_start_local, with the zone in time_zone) and in UTC.
 */
export function billCsv(b: BillDoc): string {
  const cur = b.currency ?? 'USD';
  const zone = b.timeZone ?? 'UTC';
  const money = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '' : formatMoney(v, cur));
  const local = (d: Date | undefined) => (d ? localDateTime(d, zone) : '');
  const head = ['bill_number', 'document', 'bill_id', 'kind', 'buyer_id', 'carrier_id', 'request_id', 'time_zone', 'period_start_local', 'period_end_local', 'period_start', 'period_end', 'line_kind', 'description', 'end_user_id', 'quantity', 'unit', 'rate_per_unit', 'tier_index', 'amount', 'currency'];
  const lead = (requestId: unknown) => [b.number, documentTitleOf(b.total), b._id, b.kind, b.buyerId, b.carrierId, requestId ?? '', zone, local(b.periodStart), local(b.periodEnd), b.periodStart?.toISOString(), b.periodEnd?.toISOString()];
  const rows = (b.lines ?? []).map((l) => [...lead(l.requestId ?? b.requestId), l.kind, l.description, l.endUserId ?? '', l.quantity ?? '', l.unit ?? '', l.ratePerUnit ? formatRate(l.ratePerUnit, cur) : '', l.tierIndex ?? '', money(l.amount), b.currency]);
  if (b.taxLines?.length) {
    rows.push([...lead(b.requestId), 'NET', 'Net amount (before tax)', '', '', '', '', '', money(b.netAmount), b.currency]);
    for (const t of b.taxLines) rows.push([...lead(b.requestId), 'TAX', `${t.name}${t.reverseCharge ? ' (reverse charge)' : ''}${t.note ? ` — ${t.note}` : ''}`, '', money(t.base), '', t.ratePercent, '', money(t.amount), b.currency]);
  }
  rows.push([...lead(b.requestId), 'TOTAL', 'Total (rounded to the minor unit)', '', '', '', '', '', money(b.total), b.currency]);
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
