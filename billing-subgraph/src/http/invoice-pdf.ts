import PDFDocument from 'pdfkit';
import type { CallDetailRow } from '../domain';
import type { DocumentContext } from '../services/bill-run';
import type { BillDoc } from '../store/models';
import { documentView, type DocumentView } from './invoice-format';

type Doc = InstanceType<typeof PDFDocument>;
const LEFT = 50;
const WIDTH = 495; // A4 width 595 minus both margins
const FOOTER = 30; // room kept under the last row for "Page X of Y"

/** Column x positions and widths; `right` columns are numbers. */
interface Col {
  title: string;
  width: number;
  right?: boolean;
}

const bottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom - FOOTER;

/** One row at the current y, each cell on one line (cut to its width); `onNewPage` runs after a page break (a table repeats its header). */
function row(doc: Doc, cols: Col[], cells: string[], opts: { bold?: boolean; size?: number; onNewPage?: () => void } = {}): void {
  const size = opts.size ?? 8;
  const h = size + 4;
  if (doc.y + h > bottom(doc)) {
    doc.addPage();
    opts.onNewPage?.();
  }
  doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size);
  const y = doc.y;
  let x = LEFT;
  cols.forEach((c, i) => {
    doc.text(cells[i] ?? '', x, y, { width: c.width - 4, height: h, align: c.right ? 'right' : 'left', lineBreak: false, ellipsis: true });
    x += c.width;
  });
  doc.x = LEFT;
  doc.y = y + h;
}

/** A table whose header row is printed again at the top of every page it continues on. */
function table(doc: Doc, cols: Col[], rows: string[][], size = 8): void {
  const header = () => row(doc, cols, cols.map((c) => c.title), { bold: true, size });
  header();
  for (const r of rows) row(doc, cols, r, { size, onNewPage: header });
  doc.moveDown(0.5);
}

function heading(doc: Doc, text: string): void {
  if (doc.y + 40 > bottom(doc)) doc.addPage();
  doc.x = LEFT;
  doc.moveDown(0.6).font('Helvetica-Bold').fontSize(11).text(text, LEFT, doc.y, { width: WIDTH });
  doc.moveDown(0.2);
}

function paragraph(doc: Doc, text: string, size = 9): void {
  doc.font('Helvetica').fontSize(size);
  if (doc.y + doc.heightOfString(text, { width: WIDTH }) > bottom(doc)) doc.addPage();
  doc.text(text, LEFT, doc.y, { width: WIDTH });
}

function parties(doc: Doc, v: DocumentView): void {
  const top = doc.y;
  const block = (x: number, title: string, p: DocumentView['seller']) => {
    doc.font('Helvetica-Bold').fontSize(9).text(title, x, top, { width: 230 });
    doc.font('Helvetica-Bold').fontSize(10).text(p.name, x, doc.y, { width: 230 });
    doc.font('Helvetica').fontSize(9);
    for (const l of p.lines) doc.text(l, x, doc.y, { width: 230 });
    return doc.y;
  };
  const a = block(LEFT, 'From', v.seller);
  const c = block(LEFT + 260, v.isCredit ? 'Credit to' : 'Bill to', v.buyer);
  doc.x = LEFT;
  doc.y = Math.max(a, c) + 10;
}

/** "Invoice B-… · Page X of Y" at the foot of every page, once the page count is known. */
function footers(doc: Doc, v: DocumentView): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const y = doc.page.height - doc.page.margins.bottom - 12;
    doc.font('Helvetica').fontSize(8).text(`${v.title} ${v.number} · Page ${i - range.start + 1} of ${range.count}`, LEFT, y, { width: WIDTH, align: 'right', lineBreak: false });
  }
}

export interface PdfAnnex {
  rows: CallDetailRow[] | null;
  /** Where the CSV annex is, printed when the rows are not. */
  csvUrl: string;
  /** What the document cites (services/bill-run/bill-documents.ts). */
  context?: DocumentContext;
}

/** The invoice or credit note as a PDF: the same content as the page, with the call-detail table for small bills. */
export function billPdf(b: BillDoc, annex?: PdfAnnex): Promise<Buffer> {
  const v = documentView(b, annex?.context, annex?.rows ?? null);
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, bufferPages: true, info: { Title: `${v.title} ${v.number}` } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const cur = b.currency ?? '';

    doc.font('Helvetica-Bold').fontSize(18).text(`${v.title} ${v.number}`);
    doc.moveDown(0.5);
    parties(doc, v);
    for (const [k, val] of v.facts) row(doc, [{ title: '', width: 110 }, { title: '', width: 385 }], [k, val], { size: 9 });

    heading(doc, v.isCredit ? 'Credits' : 'Charges');
    const lineCols: Col[] = [{ title: 'Description', width: 215 }, { title: 'Quantity', width: 60, right: true }, { title: 'Unit', width: 35 }, { title: 'Rate', width: 105, right: true }, { title: `Amount ${cur}`, width: 80, right: true }];
    table(doc, lineCols, v.lines.map((l) => [l.description, l.quantity, l.unit, l.rate, l.amount]));
    if (v.corrections.length) {
      heading(doc, 'Corrections');
      for (const c of v.corrections) paragraph(doc, `• ${c}`, 8);
    }
    if (v.endUsers.length) {
      heading(doc, 'Per end user');
      table(doc, [{ title: 'End user', width: 300 }, { title: `Amount ${cur}`, width: 195, right: true }], v.endUsers.map(([label, amount]) => [label, amount]));
    }
    if (v.destinations.length) {
      heading(doc, 'Summary by destination');
      const destCols: Col[] = [{ title: 'Destination', width: 190 }, { title: 'Calls', width: 50, right: true }, { title: 'Minutes', width: 70, right: true }, { title: 'Average rate', width: 105, right: true }, { title: `Amount ${cur}`, width: 80, right: true }];
      table(doc, destCols, v.destinations.map((r) => [r.label, r.calls, r.minutes, r.rate, r.amount]));
    }

    heading(doc, 'Totals');
    const totalCols: Col[] = [{ title: '', width: 300 }, { title: '', width: 195, right: true }];
    for (const t of v.totals) {
      row(doc, totalCols, [t.label, t.value], { size: t.strong ? 11 : 9, bold: t.strong });
      if (t.note) doc.font('Helvetica-Oblique').fontSize(8).text(t.note, LEFT, doc.y, { width: WIDTH }).moveDown(0.2);
    }

    if (v.remittance) {
      heading(doc, 'Remittance');
      for (const [k, val] of v.remittance) row(doc, [{ title: '', width: 110 }, { title: '', width: 385 }], [k, val], { size: 9 });
    } else {
      heading(doc, 'Credit');
      paragraph(doc, v.creditText ?? '');
    }

    heading(doc, 'Call detail');
    const count = v.recordCount;
    if (v.annex) {
      paragraph(doc, `${count} billed record${count === 1 ? '' : 's'}; start times local to the buyer (${v.zone}; with the UTC offset where the local time occurs twice) and in UTC. Accounts: buyer ${b.buyerId}, carrier ${b.carrierId}${b.requestId ? `; request ${b.requestId}` : ''}.`);
      doc.moveDown(0.3);
      const callCols: Col[] = [{ title: 'Record', width: 60 }, { title: 'Start (local)', width: 100 }, { title: 'Start (UTC)', width: 76 }, { title: 'Called number', width: 62 }, { title: 'End user', width: 36 }, { title: 'Seconds', width: 32, right: true }, { title: 'Rate', width: 71, right: true }, { title: `Amount ${cur}`, width: 58, right: true }];
      table(doc, callCols, v.annex.map((r) => [r.recordId, r.startLocal, r.startUtc, r.called, r.endUser, r.seconds || `${r.quantity} ${r.unit}`.trim(), r.rate, r.amount]), 6.5);
    } else {
      paragraph(doc, `${count} calls are billed on this ${v.title.toLowerCase()}; their call detail is in the CSV annex: ${annex?.csvUrl ?? `/bills/${b._id}.calls.csv`}. Accounts: buyer ${b.buyerId}, carrier ${b.carrierId}${b.requestId ? `; request ${b.requestId}` : ''}.`);
    }
    footers(doc, v);
    doc.end();
  });
}
