import {
  applyPayment, balances, isBalanced, postingsForBillIssued, postingsForPayment, settlementStatement,
} from '../../../billing-subgraph/src/domain/ledger';
import { AppError } from '../../../billing-subgraph/src/domain/errors';

const bill = { billId: 'bill-1', buyerId: 'B', carrierId: 'C', currency: 'USD', total: '100.00' };
const pay = (amount: string, path: 'DIRECT' | 'VIA_MODERATOR') => ({ billId: 'bill-1', buyerId: 'B', carrierId: 'C', currency: 'USD', amount, path });

describe('ledger postings', () => {
  it('issuing a bill debits the buyer receivable and credits the carrier payable', () => {
    const [set] = postingsForBillIssued(bill);
    expect(set.postings).toEqual([
      { account: 'buyer:B:receivable', currency: 'USD', amount: '100.00' },
      { account: 'carrier:C:payable', currency: 'USD', amount: '-100.00' },
    ]);
    expect(isBalanced(set.postings)).toBe(true);
    expect(postingsForBillIssued({ ...bill, total: '0.00' })).toEqual([]);
  });

  it('a direct payment is one balanced leg buyer → carrier', () => {
    const sets = postingsForPayment(pay('40.00', 'DIRECT'));
    expect(sets).toHaveLength(1);
    expect(sets[0].postings).toEqual([
      { account: 'carrier:C:payable', currency: 'USD', amount: '40.00' },
      { account: 'buyer:B:receivable', currency: 'USD', amount: '-40.00' },
    ]);
    expect(isBalanced(sets[0].postings)).toBe(true);
  });

  it('a payment via the moderator is two balanced legs through the clearing account', () => {
    const sets = postingsForPayment(pay('60.00', 'VIA_MODERATOR'));
    expect(sets.map((s) => s.event)).toEqual(['PAYMENT_BUYER_TO_MODERATOR', 'PAYMENT_MODERATOR_TO_CARRIER']);
    for (const s of sets) expect(isBalanced(s.postings)).toBe(true);
    expect(balances([sets[0]]).get('moderator:clearing|USD')).toBe('60');
    expect(balances(sets).get('moderator:clearing|USD')).toBe('0');
  });

  it('bill + both payment paths leave every account at zero', () => {
    const all = [...postingsForBillIssued(bill), ...postingsForPayment(pay('40.00', 'DIRECT')), ...postingsForPayment(pay('60.00', 'VIA_MODERATOR'))];
    expect(isBalanced(all.flatMap((s) => s.postings))).toBe(true);
    expect([...balances(all).values()]).toEqual(['0', '0', '0']);
  });

  it('detects an unbalanced set', () => {
    expect(isBalanced([{ account: 'a', currency: 'USD', amount: '1.00' }, { account: 'b', currency: 'USD', amount: '-0.99' }])).toBe(false);
    expect(isBalanced([{ account: 'a', currency: 'USD', amount: '1.00' }, { account: 'b', currency: 'EUR', amount: '-1.00' }])).toBe(false);
  });

  it('refuses zero, negative, sub-cent and unknown-path payments', () => {
    expect(() => postingsForPayment(pay('0', 'DIRECT'))).toThrow(AppError);
    expect(() => postingsForPayment(pay('-5.00', 'DIRECT'))).toThrow(AppError);
    expect(() => postingsForPayment(pay('1.001', 'DIRECT'))).toThrow(AppError);
    expect(() => postingsForPayment({ ...pay('1.00', 'DIRECT'), path: 'CASH' as 'DIRECT' })).toThrow(AppError);
  });
});

describe('applyPayment', () => {
  it('moves a bill through partially paid to paid', () => {
    expect(applyPayment('100.00', '0', '40.00')).toEqual({ status: 'PARTIALLY_PAID', paidTotal: '40', outstanding: '60' });
    expect(applyPayment('100.00', '40.00', '60.00')).toEqual({ status: 'PAID', paidTotal: '100', outstanding: '0' });
    expect(applyPayment('100.00', '99.99', '0.01', 'USD').status).toBe('PAID');
  });

  it('refuses overpayment on field input.amount', () => {
    for (const [paid, amount] of [['40.00', '60.01'], ['0', '100.01'], ['100.00', '0.01']]) {
      try {
        applyPayment('100.00', paid, amount);
        throw new Error('expected overpayment to be refused');
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        expect((e as AppError).code).toBe('BAD_USER_INPUT');
        expect((e as AppError).field).toBe('input.amount');
      }
    }
  });

  it.each([['0'], ['-1.00'], ['NaN'], ['1e2'], ['abc']])('refuses amount %j', (amount) => {
    expect(() => applyPayment('100.00', '0', amount)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.amount' }));
  });

  it('refuses amounts finer than the currency allows', () => {
    expect(() => applyPayment('1000', '0', '1.5', 'JPY')).toThrow(expect.objectContaining({ field: 'input.amount' }));
    expect(applyPayment('1.500', '0', '0.750', 'BHD')).toEqual({ status: 'PARTIALLY_PAID', paidTotal: '0.75', outstanding: '0.75' });
  });
});

describe('settlementStatement', () => {
  const bills = [
    { billId: 'b1', billNumber: 'B-2026-11-000001', buyerId: 'B', carrierId: 'C', currency: 'USD', total: '100.00', issuedAt: '2026-11-05T00:00:00Z' },
    { billId: 'b2', buyerId: 'B2', carrierId: 'C', currency: 'USD', total: '50.00', issuedAt: new Date('2026-11-20T00:00:00Z') },
    { billId: 'b3', buyerId: 'B', carrierId: 'OTHER', currency: 'USD', total: '70.00', issuedAt: '2026-11-06T00:00:00Z' },
    { billId: 'b4', buyerId: 'B', carrierId: 'C', currency: 'USD', total: '80.00', issuedAt: '2026-12-01T00:00:00Z' },
    { billId: 'b5', buyerId: 'B', carrierId: 'C', currency: 'EUR', total: '10.00', issuedAt: '2026-11-15T00:00:00Z' },
  ];
  const payments = [
    { billId: 'b1', amount: '40.00', path: 'DIRECT' as const, receivedAt: '2026-11-06T00:00:00Z' },
    { billId: 'b1', amount: '60.00', path: 'VIA_MODERATOR' as const, receivedAt: '2026-11-07T00:00:00Z' },
    { billId: 'b2', amount: '20.00', path: 'VIA_MODERATOR' as const, receivedAt: '2026-11-25T00:00:00Z' },
    { billId: 'b2', amount: '30.00', path: 'DIRECT' as const, receivedAt: '2026-12-02T00:00:00Z' },
    { billId: 'b3', amount: '70.00', path: 'DIRECT' as const, receivedAt: '2026-11-07T00:00:00Z' },
  ];

  it('lists the carrier\'s bills of the period with what was received by each path', () => {
    const s = settlementStatement('C', { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' }, bills, payments);
    expect(s.lines.map((l) => [l.billId, l.currency, l.billed, l.receivedDirect, l.receivedViaModerator, l.outstanding])).toEqual([
      ['b1', 'USD', '100.00', '40.00', '60.00', '0.00'],
      ['b5', 'EUR', '10.00', '0.00', '0.00', '10.00'],
      ['b2', 'USD', '50.00', '0.00', '20.00', '30.00'],
    ]);
    expect(s.lines[0].billNumber).toBe('B-2026-11-000001');
    expect(s.totals).toEqual([
      { currency: 'EUR', billed: '10.00', receivedDirect: '0.00', receivedViaModerator: '0.00', outstanding: '10.00' },
      { currency: 'USD', billed: '150.00', receivedDirect: '40.00', receivedViaModerator: '80.00', outstanding: '30.00' },
    ]);
  });

  it('refuses an empty period', () => {
    expect(() => settlementStatement('C', { start: '2026-11-01T00:00:00Z', end: '2026-11-01T00:00:00Z' }, bills, payments)).toThrow(AppError);
  });
});
