import type { CallDetailRow } from '../domain';
import type { BillDoc } from '../store/models';
import { destinationLabel, dueDateText, issueDate, netOf, outstandingOf, paidOf, partyLines, periodText, taxLabel, zoneOf } from './invoice-format';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface AnnexView {
  /** The rows when the bill is small enough to show them; null: only the count and the CSV link. */
  rows: CallDetailRow[] | null;
  /** Where the call-detail CSV is (relative to the page, or a signed link). */
  csvHref: string;
}

function partyHtml(id: string, title: string, p: ReturnType<typeof partyLines>): string {
  return `<section class="party" id="${id}"><h2>${title}</h2><p><strong>${esc(p.name)}</strong>${p.lines.map((l) => `<br>${esc(l)}`).join('')}</p></section>`;
}

function annexHtml(b: BillDoc, annex: AnnexView | undefined): string {
  const href = annex?.csvHref ?? `${encodeURIComponent(b._id)}.calls.csv`;
  const count = b.recordCount ?? 0;
  const link = `<p id="calls-csv">${count} billed record${count === 1 ? '' : 's'}: call detail as <a href="${esc(href)}">CSV</a>.</p>`;
  if (!annex?.rows) return `<h2>Call detail</h2>${link}`;
  const rows = annex.rows
    .map((r) => `<tr><td>${esc(r.startLocal)}</td><td>${esc(r.startUtc)}</td><td>${esc(r.calledNumber)}</td><td>${esc(r.endUser)}</td><td class="n">${esc(r.quantity)}</td><td>${esc(r.unit)}</td><td class="n">${esc(r.rate)}</td><td class="n">${esc(r.amount)}</td></tr>`)
    .join('\n');
  return `<h2>Call detail</h2>${link}
<table id="calls"><thead><tr><th>Start (${esc(zoneOf(b))})</th><th>Start (UTC)</th><th>Called number</th><th>End user</th><th>Quantity</th><th>Unit</th><th>Rate</th><th>Amount</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

/** The posted bill as a page: both parties, dates in the buyer's zone, lines, destinations, taxes, payment, annex. */
export function billHtml(b: BillDoc, annex?: AnnexView): string {
  const cur = esc(b.currency);
  const rows = (b.lines ?? [])
    .map((l) => `<tr><td>${esc(l.kind)}</td><td>${esc(l.description)}</td><td>${esc(l.requestId)}</td><td>${esc(l.endUserId)}</td><td class="n">${esc(l.quantity)}</td><td>${esc(l.unit)}</td><td class="n">${esc(l.ratePerUnit)}</td><td class="n">${esc(l.amount)}</td></tr>`)
    .join('\n');
  const subs = (b.endUserSubtotals ?? []).map((s) => `<tr><td>${esc(s.label)}</td><td class="n">${esc(s.amount)}</td></tr>`).join('\n');
  const dest = (b.destinationSummary ?? [])
    .map((r) => `<tr><td>${esc(destinationLabel(r))}</td><td class="n">${r.calls}</td><td class="n">${esc(r.minutes)}</td><td class="n">${esc(r.amount)}</td></tr>`)
    .join('\n');
  const taxes = (b.taxLines ?? [])
    .map((t) => `<p class="tax">${esc(taxLabel(t))} on ${esc(t.base)}: <span class="tax-amount">${esc(t.amount)}</span> ${cur}${t.note ? `<br><em>${esc(t.note)}</em>` : ''}</p>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bill ${esc(b.number)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:4px 8px}.n{text-align:right}.party{display:inline-block;vertical-align:top;width:45%}</style></head>
<body>
<h1>Bill ${esc(b.number)}</h1>
${partyHtml('seller', 'From', partyLines(b.sellerParty, b.carrierId))}
${partyHtml('buyer', 'Bill to', partyLines(b.buyerParty, b.buyerId))}
<dl>
<dt>Bill number</dt><dd id="number">${esc(b.number)}</dd>
<dt>Kind</dt><dd id="kind">${esc(b.kind)}</dd>
<dt>Buyer account</dt><dd id="buyer">${esc(b.buyerId)}</dd>
<dt>Carrier account</dt><dd id="carrier">${esc(b.carrierId)}</dd>
<dt>Request</dt><dd id="request">${esc(b.requestId ?? '')}</dd>
<dt>Period</dt><dd id="period">${esc(periodText(b))}</dd>
<dt>Issue date</dt><dd id="issued">${esc(issueDate(b))}</dd>
<dt>Due date</dt><dd id="due">${esc(dueDateText(b))}</dd>
<dt>Status</dt><dd id="status">${esc(b.status)}</dd>
</dl>
<table><thead><tr><th>Kind</th><th>Description</th><th>Request</th><th>End user</th><th>Quantity</th><th>Unit</th><th>Rate</th><th>Amount</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${subs ? `<h2>Per end user</h2><table><tbody>${subs}</tbody></table>` : ''}
${dest ? `<h2>Summary by destination</h2><table id="destinations"><thead><tr><th>Destination</th><th>Calls</th><th>Minutes</th><th>Amount</th></tr></thead><tbody>${dest}</tbody></table>` : ''}
<p>Subtotal: <span id="subtotal">${esc(b.subtotal)}</span> ${cur}</p>
<p>Net: <span id="net">${esc(netOf(b))}</span> ${cur}</p>
${taxes}
<p><strong>Total: <span id="total">${esc(b.total)}</span> ${cur}</strong></p>
<p>Paid: ${esc(paidOf(b))} — Outstanding: <span id="outstanding">${esc(outstandingOf(b))}</span> ${cur}</p>
<h2>Payment</h2>
<p id="payment">${b.paymentInstructions ? `${esc(b.paymentInstructions)}<br>` : ''}Payment reference: ${esc(b.number)}. Due ${esc(dueDateText(b))}.</p>
${annexHtml(b, annex)}
</body></html>`;
}
