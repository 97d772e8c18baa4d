import type { Express, Request, Response } from 'express';
import { bearerToken, type TokenVerifier } from '@exchange/platform';
import { maySeeParty } from '../services/access';
import { callDetailRows, documentBill, documentContext, documentUrls, verifyLink, type DocFormat } from '../services/bill-run';
import type { Deps } from '../services/deps';
import { streamCallDetailCsv } from './call-detail';
import { billCsv } from './csv';
import { billHtml } from './invoice-html';
import { billPdf } from './invoice-pdf';

// The documents themselves are built in csv.ts, invoice-html.ts, invoice-pdf.ts and call-detail.ts.
export { billCsv, csvCell } from './csv';
export { billHtml } from './invoice-html';
export { billPdf } from './invoice-pdf';

/**
 * The posted-bill website (claims 4, 13): GET /bills/<id>, /bills/<id>.pdf, /bills/<id>.csv and the
 * call-detail annex /bills/<id>.calls.csv.
 * Access: a bearer token of the buyer, the carrier, BILLING_AGENT, ADMIN or MODERATOR, or a
 * signed expiring link from Bill.documentUrls. Anything else is 401/403/404 without content.
 */
export function billSiteRoutes(deps: Deps, verifier: TokenVerifier) {
  return (app: Express) => {
    app.get('/bills/:file', async (req: Request, res: Response) => {
      try {
        const file = String(req.params.file);
        const m = /^(.+?)(?:\.(html|pdf|csv|calls\.csv))?$/.exec(file);
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
        if (format === 'calls.csv') return void (await streamCallDetailCsv(deps.models, bill, res));
        const rows = await callDetailRows(deps.models, bill, deps.config.BILL_PDF_CALL_DETAIL_MAX);
        const context = await documentContext(deps, bill);
        if (format === 'pdf') {
          const pdf = await billPdf(bill, { rows, context, csvUrl: `${deps.publicBase()}/bills/${encodeURIComponent(bill._id)}.calls.csv` });
          res.setHeader('content-type', 'application/pdf');
          res.setHeader('content-disposition', `attachment; filename="${bill.number ?? bill._id}.pdf"`);
          return void res.send(pdf);
        }
        res.setHeader('content-type', 'text/html; charset=utf-8');
        // Opened through a signed link: the annex link it hands out expires with that link.
        const notAfter = allowedBy === 'link' ? Number(req.query.expires) : undefined;
        res.send(billHtml(bill, { rows, context, csvHref: documentUrls(deps, bill._id, Date.now(), notAfter).callsCsv }));
      } catch (err) {
        deps.logger.error({ err }, 'bill page failed');
        // A streamed annex that failed midway can only be cut off.
        if (res.headersSent) return void res.destroy();
        res.status(500).json({ error: 'internal error' });
      }
    });
  };
}
