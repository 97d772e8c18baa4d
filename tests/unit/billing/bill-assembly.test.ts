import { assembleBill, type BillRecordInput, type AssembleBillInput } from '../../../billing-subgraph/src/domain/bill-assembly';
import { AppError } from '../../../billing-subgraph/src/domain/errors';

let n = 0;
const rec = (amount: string, patch: Partial<BillRecordInput> = {}): BillRecordInput => ({
  billingRecordId: `br-${++n}`, amount, quantity: '1', unit: 'MINUTE', tierIndex: 0, ratePerUnit: '0.02', ...patch,
});
const bill = (patch: Partial<AssembleBillInput>) =>
  assembleBill({ kind: 'PERIODIC', currency: 'USD', records: [], isFirstBillForSelection: false, isReseller: false, ...patch });
const kinds = (b: ReturnType<typeof assembleBill>) => b.lines.map((l) => [l.kind, l.amount]);

describe('assembleBill — usage lines and totals', () => {
  it('nets a mediation reversal (negative record) against the record it reverses, and credits on an ADJUSTMENT', () => {
    const periodic = bill({ records: [rec('0.040000', { quantity: '2' }), rec('-0.040000', { quantity: '-2' }), rec('0.036000', { quantity: '1.8' })] });
    expect(periodic.lines.map((l) => [l.quantity, l.amount])).toEqual([['1.8', '0.036000']]);
    const credit = bill({ kind: 'ADJUSTMENT', records: [rec('-0.040000', { quantity: '-2' }), rec('0.036000', { quantity: '1.8' })] });
    expect(credit.usageAmount).toBe('-0.004000');
    expect(credit.total).toBe('0.00');
  });

  it('groups records by tier and rate, summing quantity and amount', () => {
    const r1 = rec('0.020000', { quantity: '1' });
    const r2 = rec('0.040000', { quantity: '2' });
    const r3 = rec('0.030000', { quantity: '2', tierIndex: 1, ratePerUnit: '0.015' });
    const b = bill({ records: [r3, r1, r2] });
    expect(b.lines).toEqual([
      { kind: 'USAGE', description: 'Usage, base rate: 3 MINUTE at 0.02 USD/MINUTE', quantity: '3', unit: 'MINUTE', ratePerUnit: '0.02', tierIndex: 0, billingRecordIds: [r1.billingRecordId, r2.billingRecordId], amount: '0.060000' },
      { kind: 'USAGE', description: 'Usage, tier 1: 2 MINUTE at 0.015 USD/MINUTE', quantity: '2', unit: 'MINUTE', ratePerUnit: '0.015', tierIndex: 1, billingRecordIds: [r3.billingRecordId], amount: '0.030000' },
    ]);
    expect(b.subtotal).toBe('0.090000');
    expect(b.total).toBe('0.09');
    expect(b.endUserSubtotals).toEqual([]);
  });

  it('treats equal rates written differently as one group', () => {
    expect(bill({ records: [rec('1.000000', { ratePerUnit: '0.020' }), rec('1.000000', { ratePerUnit: '0.02' })] }).lines).toHaveLength(1);
  });

  it('uses the records\' own description when they agree', () => {
    const b = bill({ records: [rec('1.000000', { description: '95th percentile, 274 Mbps' })] });
    expect(b.lines[0].description).toBe('95th percentile, 274 Mbps');
  });

  it('keeps the subtotal exact and rounds the total half-up at the cent', () => {
    const b = bill({ records: [rec('10.000000'), rec('0.005000', { tierIndex: 1, ratePerUnit: '0.01' })] });
    expect(b.subtotal).toBe('10.005000');
    expect(b.total).toBe('10.01');
    expect(bill({ records: [rec('10.004999')] }).total).toBe('10.00');
  });

  it('rounds to whole yen and to fils', () => {
    expect(bill({ currency: 'JPY', records: [rec('1234.500000')] }).total).toBe('1235');
    expect(bill({ currency: 'BHD', records: [rec('1.234500')] }).total).toBe('1.235');
  });

  it('refuses a record twice (double charge) and malformed records', () => {
    const r = rec('1.000000');
    expect(() => bill({ records: [r, r] })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(() => bill({ records: [rec('NaN')] })).toThrow(AppError);
    expect(() => bill({ records: [rec('1e3')] })).toThrow(AppError);
    expect(() => bill({ records: [rec('1', { tierIndex: -1 })] })).toThrow(AppError);
    expect(() => bill({ currency: 'XYZ' })).toThrow(AppError);
  });
});

describe('assembleBill — minimum charge and setup fee', () => {
  it('tops usage up to the minimum charge of the period', () => {
    const b = bill({ records: [rec('10.500000')], minimumCharge: '25' });
    expect(kinds(b)).toEqual([['USAGE', '10.500000'], ['MINIMUM_TOP_UP', '14.500000']]);
    expect(b.minimumTopUp).toBe('14.500000');
    expect(b.total).toBe('25.00');
  });

  it('adds no top-up when usage reaches the minimum', () => {
    expect(kinds(bill({ records: [rec('25.000000')], minimumCharge: '25' }))).toEqual([['USAGE', '25.000000']]);
    expect(kinds(bill({ records: [rec('30.000000')], minimumCharge: '25' }))).toEqual([['USAGE', '30.000000']]);
  });

  it('tops up an empty period to the full minimum', () => {
    expect(bill({ records: [], minimumCharge: '25' }).total).toBe('25.00');
  });

  it('charges the setup fee only on the first bill of the selection', () => {
    expect(kinds(bill({ records: [rec('1.000000')], setupFee: '50', isFirstBillForSelection: true }))).toEqual([['USAGE', '1.000000'], ['SETUP_FEE', '50.000000']]);
    expect(kinds(bill({ records: [rec('1.000000')], setupFee: '50', isFirstBillForSelection: false }))).toEqual([['USAGE', '1.000000']]);
  });
});

describe('assembleBill — ADVANCE and the advance credit', () => {
  // 1000 committed minutes at 0.02 = 20; minimum 25; setup fee 50.
  const advance = () => assembleBill({
    kind: 'ADVANCE', currency: 'USD', records: [rec('20.000000', { quantity: '1000' })], minimumCharge: '25', setupFee: '50',
    isFirstBillForSelection: true, isReseller: false,
  });

  it('bills the committed quantity, the top-up and the setup fee before the interval', () => {
    const a = advance();
    expect(kinds(a)).toEqual([['USAGE', '20.000000'], ['MINIMUM_TOP_UP', '5.000000'], ['SETUP_FEE', '50.000000']]);
    expect(a.total).toBe('75.00');
    // The setup fee is not prepaid usage, so it is not creditable.
    expect(a.creditableAdvance).toBe('25.000000');
  });

  it('credits the advance against periodic usage without going below zero', () => {
    const low = bill({ records: [rec('16.000000')], minimumCharge: '25', setupFee: '50', advanceCreditAvailable: advance().creditableAdvance });
    expect(kinds(low)).toEqual([['USAGE', '16.000000'], ['MINIMUM_TOP_UP', '9.000000'], ['ADVANCE_CREDIT', '-25.000000']]);
    expect(low.total).toBe('0.00');
    expect(low.advanceCreditApplied).toBe('25.000000');
  });

  it('charges usage beyond the advance', () => {
    const high = bill({ records: [rec('30.000000')], minimumCharge: '25', advanceCreditAvailable: '25.000000' });
    expect(kinds(high)).toEqual([['USAGE', '30.000000'], ['ADVANCE_CREDIT', '-25.000000']]);
    expect(high.total).toBe('5.00');
  });

  it('uses only what is left in the pool', () => {
    const b = bill({ records: [rec('30.000000')], advanceCreditAvailable: '10' });
    expect(b.advanceCreditApplied).toBe('10.000000');
    expect(b.total).toBe('20.00');
    expect(kinds(bill({ records: [rec('30.000000')], advanceCreditAvailable: '0' }))).toEqual([['USAGE', '30.000000']]);
    // A pool larger than the bill is consumed only up to the bill; the rest stays for later bills.
    const big = bill({ records: [rec('30.000000')], advanceCreditAvailable: '100' });
    expect(big.advanceCreditApplied).toBe('30.000000');
    expect(kinds(big)).toEqual([['USAGE', '30.000000'], ['ADVANCE_CREDIT', '-30.000000']]);
    expect(big.total).toBe('0.00');
  });

  it('refuses to credit an advance against an advance', () => {
    expect(() => assembleBill({ kind: 'ADVANCE', currency: 'USD', records: [], isFirstBillForSelection: true, isReseller: false, advanceCreditAvailable: '5' }))
      .toThrow(AppError);
  });
});

describe('assembleBill — ADJUSTMENT', () => {
  const adj = (late: string, already: string | undefined) =>
    bill({ kind: 'ADJUSTMENT', records: [rec(late)], minimumCharge: '100', alreadyBilledUsageInPeriod: already });

  it('lets late usage replace the top-up already billed instead of charging the minimum twice', () => {
    // Periodic bill: 60 usage + 40 top-up. Late 30: now 90 < 100, nothing more is owed.
    const a = adj('30.000000', '60');
    expect(kinds(a)).toEqual([['USAGE', '30.000000'], ['MINIMUM_TOP_UP', '-30.000000']]);
    expect(a.total).toBe('0.00');
    // Late 50: 110 in the period, 100 already paid, 10 owed.
    expect(adj('50.000000', '60').total).toBe('10.00');
    expect(kinds(adj('50.000000', '60'))[1]).toEqual(['MINIMUM_TOP_UP', '-40.000000']);
  });

  it('adds no top-up line when the period was already above the minimum', () => {
    expect(kinds(adj('10.000000', '120'))).toEqual([['USAGE', '10.000000']]);
  });

  it('requires the already-billed usage when a minimum applies', () => {
    expect(() => adj('10.000000', undefined)).toThrow(expect.objectContaining({ field: 'alreadyBilledUsageInPeriod' }));
  });
});

describe('assembleBill — reseller', () => {
  const records = () => [
    rec('1.000000', { endUserId: 'EU1' }),
    rec('2.000000', { endUserId: 'EU2' }),
    rec('0.500000', { endUserId: 'EU1' }),
    rec('0.250000'),
    rec('0.750000', { endUserId: 'EU2', tierIndex: 1, ratePerUnit: '0.015' }),
  ];

  it('itemises usage per end user and gives per-end-user subtotals', () => {
    const b = bill({ records: records(), isReseller: true, minimumCharge: '10' });
    expect(b.lines.map((l) => [l.kind, l.endUserId, l.tierIndex, l.amount])).toEqual([
      ['USAGE', null, 0, '0.250000'],
      ['USAGE', 'EU1', 0, '1.500000'],
      ['USAGE', 'EU2', 0, '2.000000'],
      ['USAGE', 'EU2', 1, '0.750000'],
      ['MINIMUM_TOP_UP', undefined, undefined, '5.500000'],
    ]);
    expect(b.lines[1].description).toBe('End user EU1 — Usage, base rate: 2 MINUTE at 0.02 USD/MINUTE');
    expect(b.lines[0].description).toMatch(/^\(direct\) — /);
    expect(b.endUserSubtotals).toEqual([
      { endUserId: null, label: '(direct)', amount: '0.250000' },
      { endUserId: 'EU1', label: 'EU1', amount: '1.500000' },
      { endUserId: 'EU2', label: 'EU2', amount: '2.750000' },
    ]);
    expect(b.total).toBe('10.00');
  });

  it('does not itemise end users for a buyer who is not a reseller', () => {
    const b = bill({ records: records() });
    expect(b.lines.map((l) => [l.tierIndex, l.amount])).toEqual([[0, '3.750000'], [1, '0.750000']]);
    expect(b.endUserSubtotals).toEqual([]);
    expect(b.total).toBe('4.50');
  });
});
