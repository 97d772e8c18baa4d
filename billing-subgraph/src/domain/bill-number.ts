import { badInput } from './errors';

/** Zero padding of the sequence; longer sequences are printed in full, never truncated. */
export const BILL_SEQUENCE_DIGITS = 6;
const BILL_NUMBER = /^(?:B|CN)-(\d{4})-(\d{2})-(\d{6,})$/;

/**
 * Which series a bill is numbered in (issue 21 item 2): a bill whose total is negative is a credit
 * note, numbered "CN-YYYY-MM-NNNNNN" in its own gapless series; every other bill is an invoice,
 * "B-YYYY-MM-NNNNNN" as before.
 */
export type BillSeries = 'INVOICE' | 'CREDIT_NOTE';

export const seriesOfTotal = (total: string | null | undefined): BillSeries => (typeof total === 'string' && /^-\d*\.?\d*[1-9]/.test(total) ? 'CREDIT_NOTE' : 'INVOICE');

/** "Invoice" or "Credit note": the title a document carries. */
export const documentTitleOf = (total: string | null | undefined) => (seriesOfTotal(total) === 'CREDIT_NOTE' ? 'Credit note' : 'Invoice');

/**
 * Human bill number "B-YYYY-MM-NNNNNN" (TMF678 billNo) from the issue date's UTC year and month
 * and a sequence the store allocates atomically. UTC so that the number does not depend on
 * the server's time zone at a month boundary.
 */
export function formatBillNumber(sequence: number, issuedAt: Date, series: BillSeries = 'INVOICE'): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw badInput('sequence', 'sequence must be a positive whole number');
  if (!(issuedAt instanceof Date) || !Number.isFinite(issuedAt.getTime())) throw badInput('issuedAt', 'issuedAt must be a valid date');
  const year = String(issuedAt.getUTCFullYear()).padStart(4, '0');
  const month = String(issuedAt.getUTCMonth() + 1).padStart(2, '0');
  return `${series === 'CREDIT_NOTE' ? 'CN' : 'B'}-${year}-${month}-${String(sequence).padStart(BILL_SEQUENCE_DIGITS, '0')}`;
}

export function parseBillNumber(billNumber: string): { year: number; month: number; sequence: number } | null {
  const m = typeof billNumber === 'string' ? BILL_NUMBER.exec(billNumber) : null;
  if (!m) return null;
  const month = Number(m[2]);
  const sequence = Number(m[3]);
  if (month < 1 || month > 12 || !Number.isSafeInteger(sequence) || sequence < 1) return null;
  return { year: Number(m[1]), month, sequence };
}
