import { countryName, Dec, documentTitleOf, formatLocalDay, formatMoney, formatQuantity, localDate, rateLabel, averageRate, seriesOfTotal, type CallDetailRow, type DestinationRow } from '../domain';
import type { CitedDispute, DocumentContext } from '../services/bill-run';
import { EMPTY_CONTEXT } from '../services/bill-run';
import type { BillDoc, BillLineDoc, InvoicePartyDoc } from '../store/models';
import { outstandingOf, paidOf } from '../services/payments';

// What the HTML page and the PDF print alike (issue 21): an "Invoice" or a "Credit note", parties
// as customers know them, money at the currency's minor unit, rates labelled as rates, the
// corrections a credit note or adjustment makes, payment terms in words and a remittance block.
// Internal ids (party, request, selection, record ids) appear only in the call-detail annex.

export const zoneOf = (b: BillDoc) => b.timeZone ?? 'UTC';

/** The party as the bill names it: legal name and address from the snapshot, else the party id. */
export function partyLines(p: InvoicePartyDoc | undefined, partyId: string | undefined): { name: string; lines: string[] } {
  if (!p) return { name: partyId ?? '', lines: [] };
  const lines: string[] = [];
  if (p.address) {
    lines.push(...p.address.lines);
    lines.push([p.address.city, [p.address.region, p.address.postalCode].filter(Boolean).join(' ')].filter(Boolean).join(', '));
    lines.push(countryName(p.address.country));
  }
  if (p.taxRegistration) lines.push(`Tax registration: ${p.taxRegistration}`);
  if (p.accountNumber) lines.push(`Account number: ${p.accountNumber}`);
  return { name: p.legalName ?? p.partyId, lines };
}

export const issueDate = (b: BillDoc) => (b.issuedAt ? formatLocalDay(b.issuedAt, zoneOf(b)) : '');
export const dueDateText = (b: BillDoc) => (b.dueAt ? formatLocalDay(b.dueAt, zoneOf(b)) : '');

/** "Net 30": the days from the issue date to the due date, both read in the bill's zone. */
export function paymentTerms(b: BillDoc): string {
  if (!b.dueAt || !b.issuedAt) return '';
  const days = Math.round((Date.parse(localDate(b.dueAt, zoneOf(b))) - Date.parse(localDate(b.issuedAt, zoneOf(b)))) / 86_400_000);
  return days <= 0 ? 'Due on receipt' : `Net ${days}`;
}

/** "Nov 1, 2026 – Nov 30, 2026": the period's first and last day (its end is exclusive). */
export function periodText(b: BillDoc): string {
  if (!b.periodStart || !b.periodEnd) return '';
  const zone = zoneOf(b);
  return `${formatLocalDay(b.periodStart, zone)} – ${formatLocalDay(new Date(Math.max(b.periodStart.getTime(), b.periodEnd.getTime() - 1)), zone)}`;
}

export const netOf = (b: BillDoc) => b.netAmount ?? b.total ?? '0';
export { outstandingOf, paidOf };

export const destinationLabel = (r: DestinationRow) => (r.prefix ? `${r.prefix} ${r.countryName}${r.country ? ` (${r.country})` : ''}` : r.countryName);

export const taxLabel = (t: { name: string; ratePercent: string; reverseCharge: boolean }) => `${t.name} ${t.ratePercent}%${t.reverseCharge ? ' (reverse charge)' : ''}`;

/** "Usage, base rate: 15 MINUTE at 0.5 USD/MINUTE" → "Usage, base rate": the quantity and rate have their own columns. */
const GENERATED_USAGE = /: [\d.]+ \S+ at [\d.]+ \S+\/\S+$/;

export interface LineView {
  description: string;
  quantity: string;
  unit: string;
  rate: string;
  amount: string;
}

export interface DestinationView {
  label: string;
  calls: string;
  minutes: string;
  rate: string;
  amount: string;
}

export interface AnnexRowView {
  recordId: string;
  startLocal: string;
  startUtc: string;
  called: string;
  endUser: string;
  seconds: string;
  quantity: string;
  unit: string;
  rate: string;
  amount: string;
}

/** Everything a document prints, as text. */
export interface DocumentView {
  title: string;
  isCredit: boolean;
  number: string;
  seller: ReturnType<typeof partyLines>;
  buyer: ReturnType<typeof partyLines>;
  facts: [string, string][];
  lines: LineView[];
  corrections: string[];
  endUsers: [string, string][];
  destinations: DestinationView[];
  totals: { label: string; value: string; strong?: boolean; note?: string }[];
  /** Invoice: how to pay (pay to, bank details, reference, amount, due). Null on a credit note. */
  remittance: [string, string][] | null;
  /** Credit note: what happens to the credit, instead of a due date and bank details. */
  creditText: string | null;
  zone: string;
  recordCount: number;
  annex: AnnexRowView[] | null;
}

const abs = (v: string) => new Dec(v).abs().toFixed();

function disputeLine(d: CitedDispute, cur: string): string {
  const corrected = d.line ? `line "${d.line.description.replace(GENERATED_USAGE, '')}": original ${formatMoney(d.line.amount, cur)} ${cur}, corrected to ${formatMoney(new Dec(d.line.amount).plus(d.amount), cur)} ${cur}` : 'the invoice as a whole';
  return `Dispute ${d.id} on invoice ${d.billNumber}, ${corrected}; correction ${formatMoney(d.amount, cur)} ${cur}. Reason: ${d.reason}${d.resolutionReason ? `. Decision: ${d.resolutionReason}` : ''}.`;
}

/** "source record-id" of a billing record id `${source}:${recordId}[|tenant][|superseded]`. */
export function callReference(recordId: string): string {
  const head = recordId.split('|')[0];
  const i = head.indexOf(':');
  return i < 0 ? head : `${head.slice(i + 1)} (source ${head.slice(0, i)})`;
}

function lineView(b: BillDoc, l: BillLineDoc, ctx: DocumentContext, cur: string): LineView {
  if (l.kind === 'ADVANCE_CREDIT') {
    const n = l.selectionId ? ctx.advanceNumbers.get(l.selectionId) : undefined;
    return { description: n ? `Credit from advance invoice ${n}` : 'Credit from the advance invoice', quantity: '', unit: '', rate: '', amount: formatMoney(l.amount, cur) };
  }
  // An accepted dispute's correction: a record of quantity 0 (services/payments/disputes.ts).
  if (ctx.disputes.length && l.kind === 'USAGE' && new Dec(l.quantity ?? '0').isZero() && !new Dec(l.amount).isZero()) {
    const refs = [...new Set(ctx.disputes.map((d) => d.billNumber))].join(', ');
    const what = `Dispute correction${ctx.disputes.length === 1 ? '' : 's'} to invoice ${refs}`;
    return { description: what, quantity: '', unit: '', rate: '', amount: formatMoney(l.amount, cur) };
  }
  return {
    description: l.description.replace(GENERATED_USAGE, ''),
    quantity: l.quantity ?? '',
    unit: l.unit ? (l.unit === 'MINUTE' ? 'min' : l.unit) : '',
    rate: l.ratePerUnit ? rateLabel(l.ratePerUnit, cur, l.unit) : '',
    amount: formatMoney(l.amount, cur),
  };
}

/** The corrections an adjustment makes, one sentence each: disputes, reversed calls, late calls. */
function corrections(b: BillDoc, ctx: DocumentContext, rows: CallDetailRow[] | null, cur: string): string[] {
  if (b.kind !== 'ADJUSTMENT') return [];
  const out = ctx.disputes.map((d) => disputeLine(d, cur));
  const original = ctx.corrects.length ? `invoice ${ctx.corrects.map((c) => c.number).join(', ')}` : 'the earlier invoice of the period';
  if (rows === null) {
    out.push(`The call records corrected are listed in the call-detail annex (CSV).`);
    return out;
  }
  // A call whose better record arrived later: its reversal and the new record share the called number.
  const reversed = new Set(rows.filter((r) => r.nature === 'REVERSAL').map((r) => r.calledNumber));
  for (const r of rows) {
    const when = `${r.startLocal}${r.ambiguous ? ` ${r.offset}` : ''}`;
    const call = `call ${callReference(r.recordId)}${r.calledNumber ? ` to ${r.calledNumber}` : ''} at ${when}`;
    if (r.nature === 'REVERSAL') out.push(`Reversed: ${call}, ${r.seconds ? `${abs(r.seconds)} s, ` : ''}charged on ${original} at ${formatMoney(abs(r.amount), cur)} ${cur}, superseded by a better record of the same call; now ${formatMoney(r.amount, cur)} ${cur}.`);
    else if (r.nature === 'CALL' && r.calledNumber && reversed.has(r.calledNumber)) out.push(`Replacement: ${call}, ${r.seconds ? `${r.seconds} s, ` : ''}the better record of the reversed call; charged ${formatMoney(r.amount, cur)} ${cur}.`);
    else if (r.nature === 'CALL') out.push(`Late record: ${call}, ${r.seconds ? `${r.seconds} s, ` : ''}not on ${original}; charged ${formatMoney(r.amount, cur)} ${cur}.`);
  }
  return out;
}

function annexRow(r: CallDetailRow, cur: string, unit: string): AnnexRowView {
  const called = r.nature === 'DISPUTE' ? 'dispute correction' : r.nature === 'REVERSAL' ? `${r.calledNumber} (reversal)` : r.calledNumber;
  return {
    // The source's own record id ("fm-1" of "MODERATOR:fm-1|…"): the CSV annex has the full billing-record id.
    recordId: r.nature === 'DISPUTE' ? 'dispute' : r.recordId.split('|')[0].split(':').slice(1).join(':') || r.recordId,
    startLocal: `${r.startLocal}${r.ambiguous ? ` ${r.offset}` : ''}`,
    startUtc: r.startUtc.replace('.000Z', 'Z'),
    called,
    endUser: r.endUser,
    seconds: r.seconds,
    quantity: r.nature === 'DISPUTE' ? '' : r.quantity,
    unit: r.nature === 'DISPUTE' ? '' : unit === 'MINUTE' ? 'min' : unit,
    rate: r.nature === 'DISPUTE' ? '' : rateLabel(r.rate, cur, r.unit),
    amount: formatMoney(r.amount, cur),
  };
}

export function documentView(b: BillDoc, ctx: DocumentContext = EMPTY_CONTEXT, rows: CallDetailRow[] | null = null): DocumentView {
  const cur = b.currency ?? 'USD';
  const isCredit = seriesOfTotal(b.total) === 'CREDIT_NOTE';
  const title = documentTitleOf(b.total);
  const number = b.number ?? '';
  const facts: [string, string][] = [[`${title} number`, number], ['Issue date', issueDate(b)]];
  if (!isCredit) facts.push(['Payment terms', paymentTerms(b)], ['Due date', dueDateText(b)]);
  if (b.periodStart) facts.push(['Service period', periodText(b)]);
  if (ctx.corrects.length) facts.push([isCredit ? 'Credits invoice' : 'Corrects invoice', ctx.corrects.map((c) => c.number).join(', ')]);
  if (ctx.disputes.length) facts.push([ctx.disputes.length === 1 ? 'Dispute' : 'Disputes', ctx.disputes.map((d) => d.id).join(', ')]);
  if (b.kind === 'ADJUSTMENT' && !ctx.disputes.length) facts.push(['Reason', 'call records received after the invoice of the period was issued']);
  if (b.kind === 'ADVANCE') facts.push(['Type', 'Advance invoice for the committed quantity']);

  const destinations = (b.destinationSummary ?? []).map((r): DestinationView => {
    // A dispute's correction is a record without a called number: not a call.
    if (ctx.disputes.length && r.prefix === null && new Dec(r.minutes).isZero()) return { label: 'Dispute corrections', calls: '', minutes: '', rate: '', amount: formatMoney(r.amount, cur) };
    const avg = averageRate(r.amount, r.minutes);
    return { label: destinationLabel(r), calls: String(r.calls), minutes: formatQuantity(r.minutes, 2), rate: avg && !new Dec(r.minutes).isZero() ? rateLabel(avg.toFixed(), cur, 'MINUTE') : '', amount: formatMoney(r.amount, cur) };
  });
  const totals: DocumentView['totals'] = [{ label: 'Net', value: `${formatMoney(netOf(b), cur)} ${cur}` }];
  for (const t of b.taxLines ?? []) totals.push({ label: `${taxLabel(t)} on ${formatMoney(t.base, cur)}`, value: `${formatMoney(t.amount, cur)} ${cur}`, note: t.note ?? undefined });
  totals.push({ label: isCredit ? 'Total credit' : 'Total', value: `${formatMoney(b.total ?? '0', cur)} ${cur}`, strong: true });
  if (!isCredit) totals.push({ label: 'Paid', value: `${formatMoney(paidOf(b) ?? "0", cur)} ${cur}` }, { label: 'Outstanding', value: `${formatMoney(outstandingOf(b) ?? "0", cur)} ${cur}` });
  const unitOfBill = (b.lines ?? []).find((l) => l.unit)?.unit ?? '';
  return {
    title,
    isCredit,
    number,
    seller: partyLines(b.sellerParty, b.carrierId),
    buyer: partyLines(b.buyerParty, b.buyerId),
    facts,
    lines: (b.lines ?? []).map((l) => lineView(b, l, ctx, cur)),
    corrections: corrections(b, ctx, rows, cur),
    endUsers: (b.endUserSubtotals ?? []).map((s) => [s.label, formatMoney(s.amount ?? "0", cur)]),
    destinations,
    totals,
    remittance: isCredit
      ? null
      : [
          ['Pay to', partyLines(b.sellerParty, b.carrierId).name],
          ...(b.paymentInstructions ? ([['Bank details', b.paymentInstructions]] as [string, string][]) : []),
          ['Reference', number],
          ['Amount', `${formatMoney(outstandingOf(b) ?? '0', cur)} ${cur}`],
          ['Due', dueDateText(b)],
        ],
    creditText: isCredit ? `${formatMoney(abs(b.total ?? '0'), cur)} ${cur} credited to your account; it reduces what you owe (no payment is due). Reference: ${number}.` : null,
    zone: zoneOf(b),
    recordCount: b.recordCount ?? 0,
    annex: rows ? rows.map((r) => annexRow(r, cur, r.unit || unitOfBill)) : null,
  };
}
