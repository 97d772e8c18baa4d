import type { Express, Request, Response } from 'express';
import PDFDocument from 'pdfkit';
import { bearerToken, type TokenVerifier } from '@exchange/platform';
import { Dec, formatTotal } from '../domain';
import { maySeeParty } from '../services/access';
import { documentBill, verifyLink, type DocFormat } from '../services/delivery';
import type { Deps } from '../services/deps';
import type { BillDoc } from '../store/models';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** A cell that is nothing but a number (an amount, a quantity): safe to leave as it is. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/**
 * One CSV cell. A cell starting with = + - @, a tab or a carriage return would be read as a
 * formula by spreadsheets (CSV injection: a carrier's end-user id `-1+1+cmd|' /C calc'!A0`):
 * it is prefixed with ' and quoted, unless the whole cell is a plain number (-12.50).
 */
export const csvCell = (s: unknown) => {
  const v = String(s ?? '');
  const safe = /^[=+\-@\t\r]/.test(v) && !PLAIN_NUMBER.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) || safe !== v ? `"${safe.replace(/"/g, '""')}"` : safe;
};

function outstanding(b: BillDoc) {
  return formatTotal(new Dec(b.total ?? '0').minus(b.paidAmount ?? '0'), b.currency!);
}

export function billHtml(b: BillDoc): string {
  const rows = (b.lines ?? [])
    .map((l) => `<tr><td>${esc(l.kind)}</td><td>${esc(l.description)}</td><td>${esc(l.requestId)}</td><td>${esc(l.endUserId)}</td><td class="n">${esc(l.quantity)}</td><td>${esc(l.unit)}</td><td class="n">${esc(l.ratePerUnit)}</td><td class="n">${esc(l.amount)}</td></tr>`)
    .join('\n');
  const subs = (b.endUserSubtotals ?? []).map((s) => `<tr><td>${esc(s.label)}</td><td class="n">${esc(s.amount)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bill ${esc(b.number)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}.n{text-align:right}</style></head>
<body>
<h1>Bill ${esc(b.number)}</h1>
<dl>
<dt>Kind</dt><dd id="kind">${esc(b.kind)}</dd>
<dt>Buyer</dt><dd id="buyer">${esc(b.buyerId)}</dd>
<dt>Carrier</dt><dd id="carrier">${esc(b.carrierId)}</dd>
<dt>Request</dt><dd id="request">${esc(b.requestId ?? '')}</dd>
<dt>Period</dt><dd id="period">${esc(b.periodStart?.toISOString())} – ${esc(b.periodEnd?.toISOString())}</dd>
<dt>Issued</dt><dd id="issued">${esc(b.issuedAt?.toISOString())}</dd>
<dt>Due</dt><dd id="due">${esc(b.dueAt?.toISOString())}</dd>
<dt>Status</dt><dd id="status">${esc(b.status)}</dd>
</dl>
<table><thead><tr><th>Kind</th><th>Description</th><th>Request</th><th>End user</th><th>Quantity</th><th>Unit</th><th>Rate</th><th>Amount</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${subs ? `<h2>Per end user</h2><table><tbody>${subs}</tbody></table>` : ''}
<p>Subtotal: <span id="subtotal">${esc(b.subtotal)}</span> ${esc(b.currency)}</p>
<p><strong>Total: <span id="total">${esc(b.total)}</span> ${esc(b.currency)}</strong></p>
<p>Paid: ${esc(formatTotal(b.paidAmount ?? '0', b.currency!))} — Outstanding: <span id="outstanding">${esc(outstanding(b))}</span> ${esc(b.currency)}</p>
</body></html>`;
}

export function billCsv(b: BillDoc): string {
  const head = ['bill_number', 'bill_id', 'kind', 'buyer_id', 'carrier_id', 'request_id', 'period_start', 'period_end', 'line_kind', 'description', 'end_user_id', 'quantity', 'unit', 'rate_per_unit', 'tier_index', 'amount', 'currency'];
  const rows = (b.lines ?? []).map((l) =>
    [b.number, b._id, b.kind, b.buyerId, b.carrierId, l.requestId ?? b.requestId ?? '', b.periodStart?.toISOString(), b.periodEnd?.toISOString(), l.kind, l.description, l.endUserId ?? '', l.quantity ?? '', l.unit ?? '', l.ratePerUnit ?? '', l.tierIndex ?? '', l.amount, b.currency],
  );
  rows.push([b.number, b._id, b.kind, b.buyerId, b.carrierId, b.requestId ?? '', b.periodStart?.toISOString(), b.periodEnd?.toISOString(), 'TOTAL', 'Total (rounded to the minor unit)', '', '', '', '', '', b.total, b.currency]);
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function billPdf(b: BillDoc): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Bill ${b.number}` } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(18).text(`Bill ${b.number}`);
    doc.moveDown(0.5).fontSize(10);
    doc.text(`Kind: ${b.kind}    Status: ${b.status}`);
    doc.text(`Buyer: ${b.buyerId}    Carrier: ${b.carrierId}${b.requestId ? `    Request: ${b.requestId}` : ''}`);
    doc.text(`Period: ${b.periodStart?.toISOString()} - ${b.periodEnd?.toISOString()}`);
    doc.text(`Issued: ${b.issuedAt?.toISOString()}    Due: ${b.dueAt?.toISOString()}`);
    doc.moveDown();
    for (const l of b.lines ?? []) doc.text(`${l.kind}  ${l.description}    ${l.amount} ${b.currency}`);
    if ((b.endUserSubtotals ?? []).length) {
      doc.moveDown().text('Per end user:');
      for (const s of b.endUserSubtotals!) doc.text(`  ${s.label}: ${s.amount} ${b.currency}`);
    }
    doc.moveDown().fontSize(12).text(`Total: ${b.total} ${b.currency}`);
    doc.fontSize(10).text(`Paid: ${formatTotal(b.paidAmount ?? '0', b.currency!)}    Outstanding: ${outstanding(b)} ${b.currency}`);
    doc.end();
  });
}

/**
 * The posted-bill website (claims 4, 13): GET /bills/<id>, /bills/<id>.pdf, /bills/<id>.csv.
 * Access: a bearer token of the buyer, the carrier, BILLING_AGENT, ADMIN or MODERATOR, or a
 * signed expiring link from Bill.documentUrls. Anything else is 401/403/404 without content.
 */
export function billSiteRoutes(deps: Deps, verifier: TokenVerifier) {
  return (app: Express) => {
    app.get('/bills/:file', async (req: Request, res: Response) => {
      try {
        const file = String(req.params.file);
        const m = /^(.+?)(?:\.(html|pdf|csv))?$/.exec(file);
        if (!m) return void res.status(404).json({ error: 'not found' });
        const billId = m[1];
        const format = (m[2] ?? 'html') as DocFormat;
        let allowedBy: 'link' | 'token' | null = null;
        let identity = null;
        if (req.query.sig !== undefined) {
          if (!verifyLink(deps, billId, format, req.query.expires, req.query.sig)) return void res.status(403).json({ error: 'invalid or expired link' });
          allowedBy = 'link';
        } else {
          let token: string | undefined;
          try {
            token = bearerToken(req.headers.authorization);
          } catch {
            token = undefined;
          }
          if (!token) return void res.status(401).setHeader('www-authenticate', 'Bearer').json({ error: 'a bearer token or a signed link is required' });
          try {
            identity = await verifier.verify(token);
          } catch {
            return void res.status(401).json({ error: 'invalid token' });
          }
          allowedBy = 'token';
        }
        const bill = await documentBill(deps, billId);
        if (!bill) return void res.status(404).json({ error: 'bill not found' });
        if (allowedBy === 'token' && !maySeeParty(identity!, bill.buyerId, bill.carrierId)) return void res.status(403).json({ error: 'this bill belongs to other parties' });
        res.setHeader('cache-control', 'private, no-store');
        if (format === 'csv') {
          res.setHeader('content-type', 'text/csv; charset=utf-8');
          res.setHeader('content-disposition', `attachment; filename="${bill.number ?? bill._id}.csv"`);
          return void res.send(billCsv(bill));
        }
        if (format === 'pdf') {
          const pdf = await billPdf(bill);
          res.setHeader('content-type', 'application/pdf');
          res.setHeader('content-disposition', `attachment; filename="${bill.number ?? bill._id}.pdf"`);
          return void res.send(pdf);
        }
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.send(billHtml(bill));
      } catch (err) {
        deps.logger.error({ err }, 'bill page failed');
        res.status(500).json({ error: 'internal error' });
      }
    });
  };
}
