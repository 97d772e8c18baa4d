import { AppError } from '../../../billing-subgraph/src/domain/errors';
import {
  Dec, checkDecimal, formatQuantity, formatRecordAmount, formatTotal, minorUnits, parseDecimal, roundRecord, roundTotal,
} from '../../../billing-subgraph/src/domain/money';

describe('parseDecimal', () => {
  it('accepts plain decimal strings and keeps them exact', () => {
    expect(parseDecimal('x', '12.50').toFixed()).toBe('12.5');
    expect(parseDecimal('x', '0').toFixed()).toBe('0');
    expect(parseDecimal('x', '000123.4').toFixed()).toBe('123.4');
    expect(parseDecimal('x', '0.1').plus(parseDecimal('x', '0.2')).toFixed()).toBe('0.3');
    expect(parseDecimal('x', '123456789012345678.123456789012').toFixed()).toBe('123456789012345678.123456789012');
  });

  it.each([
    ['1e-7'], ['1E3'], ['NaN'], ['Infinity'], ['-Infinity'], ['+1'], ['.5'], ['1.'], [' 1'], ['1 '], ['0x10'], ['1,5'], [''],
    ['1234567890123456789'], ['0.1234567890123'],
  ])('refuses %j', (v) => {
    expect(() => parseDecimal('input.rate', v)).toThrow(AppError);
    try {
      parseDecimal('input.rate', v);
    } catch (e) {
      expect((e as AppError).code).toBe('BAD_USER_INPUT');
      expect((e as AppError).field).toBe('input.rate');
      expect((e as AppError).message).toContain('input.rate');
    }
  });

  it('refuses non-strings, including floats', () => {
    for (const v of [12.5, NaN, Infinity, null, undefined, {}, ['1']]) expect(checkDecimal(v)).not.toBeNull();
  });

  it('refuses negatives unless allowed, and zero when positive is required', () => {
    expect(() => parseDecimal('a', '-1')).toThrow(/negative/);
    expect(() => parseDecimal('a', '-0')).toThrow(/negative/);
    expect(parseDecimal('a', '-1.5', { allowNegative: true }).toFixed()).toBe('-1.5');
    expect(() => parseDecimal('a', '0', { positive: true })).toThrow(/greater than zero/);
    expect(() => parseDecimal('a', '1.234', { maxFractionDigits: 2 })).toThrow(/2 decimal places/);
  });
});

describe('minor units', () => {
  it('knows 0, 2 and 3 decimal currencies', () => {
    expect(minorUnits('USD')).toBe(2);
    expect(minorUnits('EUR')).toBe(2);
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('KRW')).toBe(0);
    expect(minorUnits('BHD')).toBe(3);
    expect(minorUnits('KWD')).toBe(3);
  });
  it('refuses unknown or lower-case codes rather than guessing 2', () => {
    expect(() => minorUnits('XYZ')).toThrow(AppError);
    expect(() => minorUnits('usd')).toThrow(AppError);
  });
});

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
