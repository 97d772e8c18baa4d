import { assertRetryOf, differingField, AppError, paymentKey } from '../../../billing-subgraph/src/domain';

describe("a payment's idempotency key (issue 14, item 5)", () => {
  it('is required and bounded', () => {
    for (const v of [undefined, null, '']) expect(() => paymentKey(v)).toThrow(/input.paymentId is required/);
    for (const v of ['x'.repeat(201), '$where', 'a\nb', 42]) {
      try {
        paymentKey(v);
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        expect((e as AppError).field).toBe('input.paymentId');
      }
    }
    expect(paymentKey('bank-ref-001')).toBe('bank-ref-001');
  });

  it('a retry repeats amount (as a number), path and reference; anything else is named', () => {
    const first = { amount: '25.00', path: 'DIRECT' as const, reference: 'SEPA 001' };
    expect(differingField(first, { ...first, amount: '25' })).toBeNull();
    expect(differingField({ ...first, reference: null }, { ...first, reference: undefined })).toBeNull();
    expect(differingField(first, { ...first, amount: '25.01' })).toBe('amount');
    expect(differingField(first, { ...first, amount: 'abc' })).toBe('amount');
    expect(differingField(first, { ...first, path: 'VIA_MODERATOR' })).toBe('path');
    expect(differingField(first, { ...first, reference: null })).toBe('reference');
    expect(() => assertRetryOf(first, { ...first, amount: '26.00' }, 'k', 'bill_1', 'USD')).toThrow(/input.amount 25.00 USD, now 26.00 USD/);
    let thrown: unknown;
    try {
      assertRetryOf(first, { ...first, path: 'VIA_MODERATOR' }, 'k', 'bill_1', 'USD');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'CONFLICT', field: 'input.paymentId' });
    expect(() => assertRetryOf(first, { ...first }, 'k', 'bill_1', 'USD')).not.toThrow();
  });
});
