import { averageRate, formatMoney, formatRate, rateLabel } from '../../../billing-subgraph/src/domain';

describe('money as documents print it (issue 21 item 1)', () => {
  it('amounts at the minor unit of their currency, half-up, zero unsigned', () => {
    expect(formatMoney('20.853450', 'USD')).toBe('20.85');
    expect(formatMoney('-13.500000', 'USD')).toBe('-13.50');
    expect(formatMoney('0.005', 'USD')).toBe('0.01');
    expect(formatMoney('-0.001', 'EUR')).toBe('0.00');
    expect(formatMoney('1234.5', 'JPY')).toBe('1235');
    expect(formatMoney('1.2345', 'BHD')).toBe('1.235');
    expect(() => formatMoney('1', 'XXX')).toThrow(/currency/);
  });

  it('rates with the precision the tariff needs, at least the minor unit, labelled per unit', () => {
    expect(formatRate('0.25', 'USD')).toBe('0.25');
    expect(formatRate('0.5', 'USD')).toBe('0.50');
    expect(formatRate('0.0125', 'USD')).toBe('0.0125');
    expect(formatRate('0.00833333333', 'USD')).toBe('0.008333');
    expect(formatRate('2', 'JPY')).toBe('2');
    expect(rateLabel('0.25', 'USD', 'MINUTE')).toBe('0.25 USD/min');
    expect(rateLabel('0.1/0.05', 'EUR', 'GB')).toBe('0.10 / 0.05 EUR/GB');
    expect(rateLabel('', 'EUR', 'GB')).toBe('');
    expect(averageRate('1.25', '5')!.toFixed()).toBe('0.25');
    expect(averageRate('1', '0')).toBeNull();
  });
});
