import {
  Dec, formatQuantity, formatRecordAmount, formatTotal, roundRecord, roundTotal,
} from '../../../billing-subgraph/src/domain/money';

describe('rounding', () => {
  it('rounds records half-up at the 6th decimal', () => {
    expect(roundRecord('0.0123456').toFixed()).toBe('0.012346');
    // Half-even would give 0.012344: the tie must go up.
    expect(roundRecord('0.0123445').toFixed()).toBe('0.012345');
    expect(roundRecord('0.0000005').toFixed()).toBe('0.000001');
    expect(roundRecord('0.00000049999').toFixed()).toBe('0');
    expect(roundRecord('-0.0000005').toFixed()).toBe('-0.000001');
  });

  it('rounds totals half-up to the currency minor unit with fixed decimals', () => {
    expect(formatTotal('10.005', 'USD')).toBe('10.01');
    expect(formatTotal('10.004999', 'USD')).toBe('10.00');
    expect(formatTotal('12.3', 'USD')).toBe('12.30');
    expect(formatTotal('1234.5', 'JPY')).toBe('1235');
    expect(formatTotal('1234.4', 'JPY')).toBe('1234');
    expect(formatTotal('1.2345', 'BHD')).toBe('1.235');
    expect(formatTotal('1.2344', 'BHD')).toBe('1.234');
    expect(roundTotal('2.675', 'USD').toFixed()).toBe('2.68');
  });

  it('never prints a negative zero', () => {
    expect(formatTotal('-0.001', 'USD')).toBe('0.00');
    expect(formatRecordAmount('-0.0000001')).toBe('0.000000');
  });

  it('formats record amounts with 6 fixed places and quantities without trailing zeros', () => {
    expect(formatRecordAmount('1.5')).toBe('1.500000');
    expect(formatQuantity(new Dec(61).div(60))).toBe('1.016666666667');
    expect(formatQuantity('2.500')).toBe('2.5');
    expect(formatQuantity('0')).toBe('0');
  });
});
