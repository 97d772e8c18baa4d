import PDFDocument from 'pdfkit';
import type { CallDetailRow } from '../domain';
import type { BillDoc } from '../store/models';
import { destinationLabel, dueDateText, issueDate, netOf, outstandingOf, paidOf, partyLines, periodText, taxLabel, zoneOf } from './invoice-format';

type Doc = InstanceType<typeof PDFDocument>;
const LEFT = 50;
const WIDTH = 495; // A4 width 595 minus both margins

/** Column x positions and widths; `right` columns are numbers. */
interface Col {
  title: string;
  width: number;
  right?: boolean;
}

/** One table row at the current y, each cell on one line (cut to its width); a new page when the row would not fit. */
function row(doc: Doc, cols: Col[], cells: string[], opts: { bold?: boolean; size?: number } = {}): void {
  const size = opts.size ?? 8;
  doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size);
  const h = size + 4;
  if (doc.y + h > doc.page.height - doc.page.margins.bottom) doc.addPage();
  const y = doc.y;
  let x = LEFT;
  cols.forEach((c, i) => {
    doc.text(cells[i] ?? '', x, y, { width: c.width - 4, height: h, align: c.right ? 'right' : 'left', lineBreak: false, ellipsis: true });
    x += c.width;
  });
  doc.x = LEFT;
  doc.y = y + h;
}

function table(doc: Doc, cols: Col[], rows: string[][], size = 8): void {
  row(doc, cols, cols.map((c) => c.title), { bold: true, size });
  for (const r of rows) row(doc, cols, r, { size });
  doc.moveDown(0.5);
}

function heading(doc: Doc, text: string): void {
  if (doc.y + 40 > doc.page.height - doc.page.margins.bottom) doc.addPage();
  doc.x = LEFT;
  doc.moveDown(0.6).font('Helvetica-Bold').fontSize(11).text(text, LEFT, doc.y, { width: WIDTH });
  doc.moveDown(0.2);
}

function parties(doc: Doc, b: BillDoc): void {
  const top = doc.y;
  const block = (x: number, title: string, p: ReturnType<typeof partyLines>) => {
    doc.font('Helvetica-Bold').fontSize(9).text(title, x, top, { width: 230 });
    doc.font('Helvetica-Bold').fontSize(10).text(p.name, x, doc.y, { width: 230 });
    doc.font('Helvetica').fontSize(9);
    for (const l of p.lines) doc.text(l, x, doc.y, { width: 230 });
    return doc.y;
  };
  const a = block(LEFT, 'From', partyLines(b.sellerParty, b.carrierId));
  const c = block(LEFT + 260, 'Bill to', partyLines(b.buyerParty, b.buyerId));
  doc.x = LEFT;
  doc.y = Math.max(a, c) + 10;
}

export interface PdfAnnex {
  rows: CallDetailRow[] | null;
  /** Where the CSV annex is, printed when the rows are not. */
  csvUrl: string;
}

/** The invoice PDF: the same content as the page, with the call-detail table for small bills. */
export function billPdf(b: BillDoc, annex?: PdfAnnex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Bill ${b.number}` } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const cur = b.currency ?? '';

    doc.font('Helvetica-Bold').fontSize(18).text(`Bill ${b.number}`);
    doc.moveDown(0.5);
    parties(doc, b);
    const facts: [string, string][] = [
      ['Bill number', b.number ?? ''],
      ['Issue date', issueDate(b)],
      ['Due date', dueDateText(b)],
      ['Period', periodText(b)],
      ['Accounts', `buyer ${b.buyerId}, carrier ${b.carrierId}`],
      ['Kind', `${b.kind ?? ''}${b.requestId ? `, request ${b.requestId}` : ''}`],
      ['Status', b.status ?? ''],
    ];
    for (const [k, v] of facts) row(doc, [{ title: '', width: 110 }, { title: '', width: 385 }], [k, v], { size: 9 });

    heading(doc, 'Charges');
    const lineCols: Col[] = [{ title: 'Description', width: 235 }, { title: 'Quantity', width: 65, right: true }, { title: 'Unit', width: 50 }, { title: 'Rate', width: 65, right: true }, { title: `Amount ${cur}`, width: 80, right: true }];
    table(doc, lineCols, (b.lines ?? []).map((l) => [l.description, l.quantity ?? '', l.unit ?? '', l.ratePerUnit ?? '', l.amount]));
    if ((b.endUserSubtotals ?? []).length) {
      heading(doc, 'Per end user');
      table(doc, [{ title: 'End user', width: 300 }, { title: `Amount ${cur}`, width: 195, right: true }], b.endUserSubtotals!.map((s) => [s.label, s.amount]));
    }
    if ((b.destinationSummary ?? []).length) {
      heading(doc, 'Summary by destination');
      const destCols: Col[] = [{ title: 'Destination', width: 235 }, { title: 'Calls', width: 65, right: true }, { title: 'Minutes', width: 115, right: true }, { title: `Amount ${cur}`, width: 80, right: true }];
      table(doc, destCols, b.destinationSummary!.map((r) => [destinationLabel(r), String(r.calls), r.minutes, r.amount]));
    }

    heading(doc, 'Totals');
    const totalCols: Col[] = [{ title: '', width: 300 }, { title: '', width: 195, right: true }];
    row(doc, totalCols, ['Net', `${netOf(b)} ${cur}`], { size: 9 });
    for (const t of b.taxLines ?? []) {
      row(doc, totalCols, [`${taxLabel(t)} on ${t.base}`, `${t.amount} ${cur}`], { size: 9 });
      if (t.note) doc.font('Helvetica-Oblique').fontSize(8).text(t.note, LEFT, doc.y, { width: WIDTH }).moveDown(0.2);
    }
    row(doc, totalCols, ['Total', `${b.total} ${cur}`], { size: 11, bold: true });
    row(doc, totalCols, ['Paid', `${paidOf(b)} ${cur}`], { size: 9 });
    row(doc, totalCols, ['Outstanding', `${outstandingOf(b)} ${cur}`], { size: 9 });

    heading(doc, 'Payment');
    doc.font('Helvetica').fontSize(9);
    if (b.paymentInstructions) doc.text(b.paymentInstructions, LEFT, doc.y, { width: WIDTH });
    doc.text(`Payment reference: ${b.number}. Due ${dueDateText(b)}.`, LEFT, doc.y, { width: WIDTH });

    heading(doc, 'Call detail');
    const count = b.recordCount ?? 0;
    doc.font('Helvetica').fontSize(9);
    if (annex?.rows) {
      doc.text(`${count} billed record${count === 1 ? '' : 's'}; start times local to the buyer (${zoneOf(b)}) and in UTC.`, LEFT, doc.y, { width: WIDTH }).moveDown(0.3);
      const callCols: Col[] = [{ title: 'Start (local)', width: 82 }, { title: 'Start (UTC)', width: 92 }, { title: 'Called number', width: 72 }, { title: 'End user', width: 55 }, { title: 'Quantity', width: 48, right: true }, { title: 'Unit', width: 38 }, { title: 'Rate', width: 44, right: true }, { title: 'Amount', width: 64, right: true }];
      table(doc, callCols, annex.rows.map((r) => [r.startLocal, r.startUtc.replace('.000Z', 'Z'), r.calledNumber, r.endUser, r.quantity, r.unit, r.rate, r.amount]), 7);
    } else {
      doc.text(`${count} calls are billed on this invoice; their call detail is in the CSV annex: ${annex?.csvUrl ?? `/bills/${b._id}.calls.csv`}`, LEFT, doc.y, { width: WIDTH });
    }
    doc.end();
  });
}
