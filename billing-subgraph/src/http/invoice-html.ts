import type { CallDetailRow } from '../domain';
import type { DocumentContext } from '../services/bill-run';
import type { BillDoc } from '../store/models';
import { documentView, type DocumentView } from './invoice-format';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface AnnexView {
  /** The rows when the bill is small enough to show them; null: only the count and the CSV link. */
  rows: CallDetailRow[] | null;
  /** Where the call-detail CSV is (relative to the page, or a signed link). */
  csvHref: string;
  /** What the document cites (services/bill-run/bill-documents.ts). */
  context?: DocumentContext;
}

function partyHtml(id: string, title: string, p: DocumentView['seller']): string {
  return `<section class="party" id="${id}"><h2>${title}</h2><p><strong>${esc(p.name)}</strong>${p.lines.map((l) => `<br>${esc(l)}`).join('')}</p></section>`;
}

// Element ids of the values scripts and tests read.
const TOTAL_IDS: Record<string, string> = { Net: 'net', Total: 'total', 'Total credit': 'total', Paid: 'paid', Outstanding: 'outstanding' };
const FACT_IDS: Record<string, string> = { number: 'number', 'Issue date': 'issued', 'Payment terms': 'terms', 'Due date': 'due', 'Service period': 'period', 'Credits invoice': 'corrects', 'Corrects invoice': 'corrects', Dispute: 'disputes', Disputes: 'disputes' };

const cells = (tag: 'td' | 'th', values: string[], right: boolean[]) => values.map((v, i) => `<${tag}${right[i] ? ' class="n"' : ''}>${esc(v)}</${tag}>`).join('');

function annexHtml(b: BillDoc, v: DocumentView, href: string): string {
  const count = v.recordCount;
  const link = `<p id="calls-csv">${count} billed record${count === 1 ? '' : 's'}: call detail as <a href="${esc(href)}">CSV</a>.</p>`;
  // Internal references (account and request ids) belong to the annex only.
  const refs = `<dl id="internal-ids"><dt>Buyer account id</dt><dd id="buyer">${esc(b.buyerId)}</dd><dt>Carrier account id</dt><dd id="carrier">${esc(b.carrierId)}</dd>${b.requestId ? `<dt>Request id</dt><dd id="request">${esc(b.requestId)}</dd>` : ''}</dl>`;
  if (!v.annex) return `<h2>Call detail</h2>${link}${refs}`;
  const right = [false, false, false, false, false, true, true, false, true, true];
  const rows = v.annex.map((r) => `<tr>${cells('td', [r.recordId, r.startLocal, r.startUtc, r.called, r.endUser, r.seconds, r.quantity, r.unit, r.rate, r.amount], right)}</tr>`).join('\n');
  return `<h2>Call detail</h2>${link}${refs}
<table id="calls"><thead><tr>${cells('th', ['Record', `Start (${v.zone})`, 'Start (UTC)', 'Called number', 'End user', 'Seconds', 'Quantity', 'Unit', 'Rate', `Amount ${b.currency ?? ''}`], right)}</tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

/** The posted bill as a page: an invoice or a credit note, as a finance team files it (issue 21). */
export function billHtml(b: BillDoc, annex?: AnnexView): string {
  const v = documentView(b, annex?.context, annex?.rows ?? null);
  const cur = esc(b.currency);
  const lineRight = [false, true, false, true, true];
  const lines = v.lines.map((l) => `<tr>${cells('td', [l.description, l.quantity, l.unit, l.rate, l.amount], lineRight)}</tr>`).join('\n');
  const subs = v.endUsers.map(([label, amount]) => `<tr>${cells('td', [label, amount], [false, true])}</tr>`).join('\n');
  const destRight = [false, true, true, true, true];
  const dest = v.destinations.map((r) => `<tr>${cells('td', [r.label, r.calls, r.minutes, r.rate, r.amount], destRight)}</tr>`).join('\n');
  const totals = v.totals
    .map((t) => {
      const id = TOTAL_IDS[t.label];
      const [amount, code] = t.value.split(' ');
      const value = id ? `<span id="${id}">${esc(amount)}</span> ${esc(code)}` : esc(t.value);
      return `<tr${t.strong ? ' class="strong"' : ''}><td>${esc(t.label)}${t.note ? `<br><em>${esc(t.note)}</em>` : ''}</td><td class="n">${value}</td></tr>`;
    })
    .join('\n');
  const facts = v.facts.map(([k, val]) => `<dt>${esc(k)}</dt><dd${FACT_IDS[k.replace(/^(Invoice|Credit note) /, '')] ? ` id="${FACT_IDS[k.replace(/^(Invoice|Credit note) /, '')]}"` : ''}>${esc(val)}</dd>`).join('\n');
  const payment = v.remittance
    ? `<h2>Remittance</h2><table id="remittance"><tbody>${v.remittance.map(([k, val]) => `<tr><th>${esc(k)}</th><td>${esc(val)}</td></tr>`).join('')}</tbody></table>`
    : `<h2>Credit</h2><p id="credit">${esc(v.creditText)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(v.title)} ${esc(v.number)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:4px 8px}.n{text-align:right}.party{display:inline-block;vertical-align:top;width:45%}.strong{font-weight:bold}</style></head>
<body>
<h1>${esc(v.title)} ${esc(v.number)}</h1>
${partyHtml('seller', 'From', v.seller)}
${partyHtml('buyer', v.isCredit ? 'Credit to' : 'Bill to', v.buyer)}
<dl id="facts">
${facts}
</dl>
<table id="lines"><thead><tr>${cells('th', ['Description', 'Quantity', 'Unit', 'Rate', `Amount ${b.currency ?? ''}`], lineRight)}</tr></thead>
<tbody>
${lines}
</tbody></table>
${v.corrections.length ? `<h2>Corrections</h2><ul id="corrections">${v.corrections.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>` : ''}
${subs ? `<h2>Per end user</h2><table><tbody>${subs}</tbody></table>` : ''}
${dest ? `<h2>Summary by destination</h2><table id="destinations"><thead><tr>${cells('th', ['Destination', 'Calls', 'Minutes', 'Average rate', `Amount ${b.currency ?? ''}`], destRight)}</tr></thead><tbody>${dest}</tbody></table>` : ''}
<table id="totals"><tbody>
${totals}
</tbody></table>
<p class="currency">Amounts in ${cur}.</p>
${payment}
${annexHtml(b, v, annex?.csvHref ?? `${encodeURIComponent(b._id)}.calls.csv`)}
</body></html>`;
}
