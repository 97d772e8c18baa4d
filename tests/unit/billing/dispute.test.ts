import { checkCorrection, checkReason, disputedAmount } from '../../../billing-subgraph/src/domain';

describe('disputes (domain)', () => {
  it('a correction is a non-zero amount in the currency\'s minor units, either sign', () => {
    expect(checkCorrection('amount', '-0.60', 'USD')).toBe('-0.6');
    expect(checkCorrection('amount', '12', 'JPY')).toBe('12');
    expect(() => checkCorrection('amount', '0.00', 'USD')).toThrow(/must not be 0/);
    expect(() => checkCorrection('amount', '1.5', 'JPY')).toThrow(/amount/);
    expect(() => checkCorrection('amount', 'ten', 'USD')).toThrow(/decimal/);
  });
  it('a reason is required and bounded', () => {
    expect(checkReason('reason', '  short  ')).toBe('short');
    expect(() => checkReason('reason', ' ')).toThrow(/required/);
    expect(() => checkReason('reason', 'x'.repeat(2001))).toThrow(/at most 2000/);
  });
  it('the disputed amount sums the open disputes only', () => {
    expect(disputedAmount([{ status: 'OPEN', amount: '-0.6' }, { status: 'OPEN', amount: '1.10' }, { status: 'ACCEPTED', amount: '-5' }, { status: 'REJECTED', amount: '3' }])).toBe('0.5');
    expect(disputedAmount([])).toBe('0');
  });
});
