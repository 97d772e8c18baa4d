import { billCsv, billHtml } from '../../../billing-subgraph/src/http/site';
import type { BillDoc } from '../../../billing-subgraph/src/store/models';

const bill = (over: Partial<BillDoc> = {}): BillDoc => ({
  _id: 'bill_1',
  number: 'B-2026-10-000001',
  kind: 'PERIODIC',
  buyerId: 'buyer-<b>',
  carrierId: 'carrier-1',
  requestId: 'req-1',
  periodStart: new Date('2026-10-01T00:00:00Z'),
  periodEnd: new Date('2026-11-01T00:00:00Z'),
  currency: 'USD',
  lines: [{ kind: 'USAGE', description: '=HYPERLINK("http://evil")', requestId: 'req-1', endUserId: 'alice, "the" user', quantity: '15', unit: 'MINUTE', ratePerUnit: '0.5', tierIndex: 0, amount: '7.500000' }],
  endUserSubtotals: [],
  subtotal: '7.500000',
  total: '7.50',
  paidAmount: '2.5',
  status: 'PARTIALLY_PAID',
  issuedAt: new Date('2026-11-02T00:00:00Z'),
  dueAt: new Date('2026-12-02T00:00:00Z'),
  ...over,
});

describe('posted bill documents', () => {
  it('CSV quotes separators and neutralises spreadsheet formulas', () => {
    const rows = billCsv(bill()).trim().split('\r\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toBe(
      'B-2026-10-000001,bill_1,PERIODIC,buyer-<b>,carrier-1,req-1,2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,USAGE,"\'=HYPERLINK(""http://evil"")","alice, ""the"" user",15,MINUTE,0.5,0,7.500000,USD',
    );
    expect(rows[2].endsWith(',TOTAL,Total (rounded to the minor unit),,,,,,7.50,USD')).toBe(true);
  });

  it('CSV keeps negative amounts as numbers', () => {
    const rows = billCsv(bill({ lines: [{ kind: 'ADVANCE_CREDIT', description: 'Credit', amount: '-5.000000' }] })).split('\r\n');
    expect(rows[1].split(',')[15]).toBe('-5.000000');
  });

  it('HTML escapes party data and shows total and outstanding in the minor unit', () => {
    const html = billHtml(bill());
    expect(html).toContain('buyer-&lt;b&gt;');
    expect(html).not.toContain('buyer-<b>');
    expect(html).toContain('<span id="total">7.50</span> USD');
    expect(html).toContain('<span id="outstanding">5.00</span> USD');
  });
});

describe('CSV formula injection (issue 12, item 6)', () => {
  it('prefixes any cell that starts with = + - @, tab or CR unless the whole cell is a plain number', async () => {
    const { csvCell } = await import('../../../billing-subgraph/src/http/site');
    expect(csvCell("-1+1+cmd|' /C calc'!A0")).toBe(`"'-1+1+cmd|' /C calc'!A0"`);
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+44 20')).toBe(`"'+44 20"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('\tcmd')).toBe(`"'\tcmd"`);
    expect(csvCell('\r=1')).toBe(`"'\r'=1"`);
    expect(csvCell('-1e3')).toBe(`"'-1e3"`);
    expect(csvCell('-5.000000')).toBe('-5.000000');
    expect(csvCell('12')).toBe('12');
    expect(csvCell('eu-7')).toBe('eu-7');
    // Issue 20: every part a spreadsheet may split the cell into (semicolon locales, tabs, line ends).
    expect(csvCell('VAT;=HYPERLINK("http://x")')).toBe(`"VAT;'=HYPERLINK(""http://x"")"`);
    expect(csvCell('a,+1+cmd')).toBe(`"a,'+1+cmd"`);
    expect(csvCell('note\t@SUM(A1)')).toBe(`"note\t'@SUM(A1)"`);
    expect(csvCell('x\n-2+3')).toBe(`"x\n'-2+3"`);
    expect(csvCell('1;-2.50')).toBe('"1;-2.50"');
  });
});
