import { countryName, formatLocalDay, type DestinationRow } from '../domain';
import type { BillDoc, InvoicePartyDoc } from '../store/models';

// What the HTML page and the PDF print alike: party blocks, dates in the buyer's zone, totals.

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
  return { name: p.legalName ?? p.partyId, lines };
}


export const issueDate = (b: BillDoc) => (b.issuedAt ? formatLocalDay(b.issuedAt, zoneOf(b)) : '');
export const dueDateText = (b: BillDoc) => (b.dueAt ? formatLocalDay(b.dueAt, zoneOf(b)) : '');

/** "Nov 1, 2026 – Nov 30, 2026": the period's first and last day (its end is exclusive). */
export function periodText(b: BillDoc): string {
  if (!b.periodStart || !b.periodEnd) return '';
  const zone = zoneOf(b);
  return `${formatLocalDay(b.periodStart, zone)} – ${formatLocalDay(new Date(Math.max(b.periodStart.getTime(), b.periodEnd.getTime() - 1)), zone)}`;
}

export const netOf = (b: BillDoc) => b.netAmount ?? b.total ?? '0';
// Paid and outstanding as the API reports them (documents are served only for bills with a currency).
export { outstandingOf, paidOf } from '../services/payments';

export const destinationLabel = (r: DestinationRow) => (r.prefix ? `${r.prefix} ${r.countryName}${r.country ? ` (${r.country})` : ''}` : r.countryName);

export const taxLabel = (t: { name: string; ratePercent: string; reverseCharge: boolean }) => `${t.name} ${t.ratePercent}%${t.reverseCharge ? ' (reverse charge)' : ''}`;
