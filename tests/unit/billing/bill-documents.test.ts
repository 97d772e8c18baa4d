import { parse } from 'csv-parse/sync';
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

const HEAD = ['bill_number', 'document', 'bill_id', 'kind', 'buyer_id', 'carrier_id', 'request_id', 'time_zone', 'period_start_local', 'period_end_local', 'period_start', 'period_end', 'line_kind', 'description', 'end_user_id', 'quantity', 'unit', 'rate_per_unit', 'tier_index', 'amount', 'currency'];
const cellsOf = (csv: string): Record<string, string>[] => parse(csv, { columns: true, bom: true }) as Record<string, string>[];

describe('posted bill documents', () => {
  it('CSV quotes separators, neutralises spreadsheet formulas, prints amounts at the minor unit and the period in the zone and UTC', () => {
    const csv = billCsv(bill({ timeZone: 'America/New_York', periodStart: new Date('2026-10-01T04:00:00Z'), periodEnd: new Date('2026-11-01T04:00:00Z') }));
    expect(csv.split('\r\n')[0]).toBe(HEAD.join(','));
    const rows = cellsOf(csv);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      bill_number: 'B-2026-10-000001', document: 'Invoice', bill_id: 'bill_1', kind: 'PERIODIC', buyer_id: 'buyer-<b>', carrier_id: 'carrier-1', request_id: 'req-1',
      time_zone: 'America/New_York', period_start_local: '2026-10-01 00:00:00', period_end_local: '2026-11-01 00:00:00', period_start: '2026-10-01T04:00:00.000Z', period_end: '2026-11-01T04:00:00.000Z',
      line_kind: 'USAGE', description: `'=HYPERLINK("http://evil")`, end_user_id: 'alice, "the" user', quantity: '15', unit: 'MINUTE', rate_per_unit: '0.50', tier_index: '0', amount: '7.50', currency: 'USD',
    });
    expect([rows[1].line_kind, rows[1].description, rows[1].amount]).toEqual(['TOTAL', 'Total (rounded to the minor unit)', '7.50']);
  });

  it('CSV keeps negative amounts as plain numbers at the minor unit; a negative total is a credit note', () => {
    const rows = cellsOf(billCsv(bill({ total: '-5.00', lines: [{ kind: 'ADVANCE_CREDIT', description: 'Credit', amount: '-5.000000' }] })));
    expect([rows[0].amount, rows[0].document, rows[1].amount]).toEqual(['-5.00', 'Credit note', '-5.00']);
  });

  it('HTML: an Invoice, money at 2 decimals, rates labelled, Net 30, a remittance block; internal ids only in the annex', () => {
    const html = billHtml(bill({ lines: [{ kind: 'USAGE', description: 'Usage, base rate: 41.7069 MINUTE at 0.5 USD/MINUTE', requestId: 'req-1', quantity: '41.7069', unit: 'MINUTE', ratePerUnit: '0.5', tierIndex: 0, amount: '20.853450' }], total: '20.85', paidAmount: '0' }));
    expect(html).toContain('<h1>Invoice B-2026-10-000001</h1>');
    expect(html).toContain('<td>Usage, base rate</td><td class="n">41.7069</td><td>min</td><td class="n">0.50 USD/min</td><td class="n">20.85</td>');
    expect(html).not.toMatch(/20\.853450|\d\.\d{6}/);
    expect(html).toContain('<dd id="terms">Net 30</dd>');
    expect(html).toContain('<span id="total">20.85</span> USD');
    expect(html).toMatch(/<h2>Remittance<\/h2><table id="remittance"><tbody><tr><th>Pay to<\/th><td>carrier-1<\/td><\/tr><tr><th>Reference<\/th><td>B-2026-10-000001<\/td><\/tr><tr><th>Amount<\/th><td>20.85 USD<\/td><\/tr><tr><th>Due<\/th><td>Dec 2, 2026<\/td><\/tr>/);
    // the buyer's and the request's internal ids appear only after the call-detail heading
    const [head, annex] = html.split('<h2>Call detail</h2>');
    expect(head).not.toContain('req-1');
    expect(annex).toContain('<dd id="request">req-1</dd>');
    expect(annex).toContain('buyer-&lt;b&gt;');
    expect(html).not.toContain('buyer-<b>');
  });

  it('HTML: a credit note cites the invoice and the dispute, says what is corrected, and is credited to the account without a due date or bank details', () => {
    const credit = bill({
      _id: 'bill_2', number: 'CN-2026-11-000001', kind: 'ADJUSTMENT', total: '-0.03', subtotal: '-0.030000', paidAmount: '0', status: 'ISSUED', sequence: 1,
      paymentInstructions: 'IBAN DE89 3704 0044 0532 0130 00',
      lines: [{ kind: 'USAGE', description: 'Usage, base rate: 0 MINUTE at 0 USD/MINUTE', requestId: 'req-1', selectionId: 'sel-1', quantity: '0', unit: 'MINUTE', ratePerUnit: '0', tierIndex: 0, amount: '-0.030000' }],
    });
    const context = {
      corrects: [{ id: 'bill_1', number: 'B-2026-10-000001' }],
      disputes: [{ id: 'dsp_9', billNumber: 'B-2026-10-000001', reason: 'call ny-3 was 40 s, not 60 s', resolutionReason: 'switch logs agree', amount: '-0.03', line: { description: 'Usage, base rate: 16 MINUTE at 0.25 USD/MINUTE', amount: '4.000000' } }],
      advanceNumbers: new Map<string, string>(),
    };
    const html = billHtml(credit, { rows: null, csvHref: 'x.calls.csv', context });
    expect(html).toContain('<h1>Credit note CN-2026-11-000001</h1>');
    expect(html).toContain('<dd id="corrects">B-2026-10-000001</dd>');
    expect(html).toContain('<dd id="disputes">dsp_9</dd>');
    expect(html).toContain('<td>Dispute correction to invoice B-2026-10-000001</td><td class="n"></td><td></td><td class="n"></td><td class="n">-0.03</td>');
    expect(html).toContain('Dispute dsp_9 on invoice B-2026-10-000001, line &quot;Usage, base rate&quot;: original 4.00 USD, corrected to 3.97 USD; correction -0.03 USD. Reason: call ny-3 was 40 s, not 60 s. Decision: switch logs agree.');
    expect(html).toContain('0.03 USD credited to your account');
    for (const absent of ['Outstanding', 'Due date', 'IBAN', 'Remittance', '0 MINUTE at 0']) expect(html).not.toContain(absent);
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
