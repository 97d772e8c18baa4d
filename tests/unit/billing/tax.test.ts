import { isBalanced, postingsForBillIssued, REVERSE_CHARGE_NOTE, taxBill } from '../../../billing-subgraph/src/domain';

describe('taxes per the buyer profile', () => {
  it('no rule: no tax line, the total is the net as before', () => {
    expect(taxBill('7.500000', 'USD', null)).toEqual({ net: '7.50', taxLines: [], total: '7.50' });
  });

  it('New York sales tax 8.875 % on 123.45 USD: 10.956187… rounds half-up to 10.96', () => {
    const t = taxBill('123.450000', 'USD', { name: 'Sales tax', ratePercent: '8.875', reverseCharge: false });
    expect(t.taxLines).toEqual([{ name: 'Sales tax', ratePercent: '8.875', base: '123.45', amount: '10.96', reverseCharge: false, note: null }]);
    expect(t.total).toBe('134.41');
  });

  it('rounds a half cent up (0.2 × 20 % of 0.125 → 0.025 → 0.03) and at the minor unit of JPY and BHD', () => {
    expect(taxBill('0.125', 'USD', { name: 'VAT', ratePercent: '20', reverseCharge: false })).toMatchObject({ net: '0.13', total: '0.16', taxLines: [{ amount: '0.03' }] });
    expect(taxBill('1001', 'JPY', { name: 'JCT', ratePercent: '10', reverseCharge: false })).toMatchObject({ net: '1001', total: '1101', taxLines: [{ amount: '100' }] });
    expect(taxBill('10.005', 'BHD', { name: 'VAT', ratePercent: '10', reverseCharge: false })).toMatchObject({ net: '10.005', total: '11.006', taxLines: [{ amount: '1.001' }] });
  });

  it('a credit (negative net) carries a negative tax', () => {
    expect(taxBill('-10.00', 'EUR', { name: 'VAT', ratePercent: '20', reverseCharge: false })).toMatchObject({ total: '-12.00', taxLines: [{ amount: '-2.00' }] });
  });

  it('reverse charge: a 0 % line saying the customer accounts for the tax, whatever rate the rule names', () => {
    const t = taxBill('100', 'EUR', { name: 'VAT', ratePercent: '20', reverseCharge: true });
    expect(t.taxLines).toEqual([{ name: 'VAT', ratePercent: '0', base: '100.00', amount: '0.00', reverseCharge: true, note: REVERSE_CHARGE_NOTE }]);
    expect(t.total).toBe('100.00');
  });

  it('refuses a rate that is not a percentage', () => {
    expect(() => taxBill('1', 'USD', { name: 'X', ratePercent: '101', reverseCharge: false })).toThrow(/at most 100/);
    expect(() => taxBill('1', 'USD', { name: 'X', ratePercent: '1e2', reverseCharge: false })).toThrow(/plain decimal/);
  });

  it('ledger: a taxed bill posts the tax to the carrier tax account and still balances', () => {
    const [set] = postingsForBillIssued({ billId: 'b1', buyerId: 'bu', carrierId: 'ca', currency: 'USD', total: '134.41', tax: '10.96' });
    expect(set.postings).toEqual([
      { account: 'buyer:bu:receivable', currency: 'USD', amount: '134.41' },
      { account: 'carrier:ca:payable', currency: 'USD', amount: '-123.45' },
      { account: 'carrier:ca:tax', currency: 'USD', amount: '-10.96' },
    ]);
    expect(isBalanced(set.postings)).toBe(true);
    // without tax: the pair as before
    expect(postingsForBillIssued({ billId: 'b1', buyerId: 'bu', carrierId: 'ca', currency: 'USD', total: '5.00', tax: '0.00' })[0].postings).toHaveLength(2);
  });
});
