import { AppError, checkDecimal, parseDecimal } from '../../../pricing/src';

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return `${e.code} ${e.field}`;
    throw e;
  }
  throw new Error('expected an AppError');
}

// The one decimal parser of both subgraphs (it replaced one copy in each).
describe('parseDecimal', () => {
  it('accepts plain decimal strings and keeps them exact', () => {
    expect(parseDecimal('x', '12.50').toFixed()).toBe('12.5');
    expect(parseDecimal('x', '0').toFixed()).toBe('0');
    expect(parseDecimal('x', '000123.4').toFixed()).toBe('123.4');
    expect(parseDecimal('x', '007.50').toFixed()).toBe('7.5');
    expect(parseDecimal('x', '0.1').plus(parseDecimal('x', '0.2')).toFixed()).toBe('0.3');
    expect(parseDecimal('x', '123456789012345678.123456789012').toFixed()).toBe('123456789012345678.123456789012');
    expect(parseDecimal('x', '0.000000000001').toFixed()).toBe('0.000000000001');
  });

  it.each([
    ['1e-7'], ['1E3'], ['1e5'], ['NaN'], ['Infinity'], ['-Infinity'], ['+1'], ['.5'], ['1.'], [' 1'], ['1 '], ['0x10'], ['1,5'], [''], ['--1'],
    ['1234567890123456789'], // 19 integer digits
    ['0.1234567890123'], // 13 fraction digits
  ])('refuses %j with BAD_USER_INPUT naming the field', (v) => {
    expect(rejection(() => parseDecimal('input.rate', v))).toBe('BAD_USER_INPUT input.rate');
    expect(() => parseDecimal('input.rate', v)).toThrow(/input\.rate/);
  });

  it('refuses non-strings, including floats, which have already lost exactness', () => {
    for (const v of [12.5, 0.1, NaN, Infinity, null, undefined, {}, ['1']]) {
      expect(checkDecimal(v)).not.toBeNull();
      expect(rejection(() => parseDecimal('input.rate', v))).toBe('BAD_USER_INPUT input.rate');
    }
  });

  it('refuses negatives, "-0" included, unless allowed', () => {
    expect(() => parseDecimal('a', '-1')).toThrow(/negative/);
    expect(() => parseDecimal('a', '-0')).toThrow(/negative/);
    expect(() => parseDecimal('a', '-0.000001')).toThrow(/negative/);
    expect(parseDecimal('a', '-1.5', { allowNegative: true }).toFixed()).toBe('-1.5');
    expect(parseDecimal('a', '-3.5', { allowNegative: true }).toFixed()).toBe('-3.5');
    expect(parseDecimal('a', '-0', { allowNegative: true }).isZero()).toBe(true);
  });

  it('requires > 0 when positive', () => {
    expect(() => parseDecimal('a', '0', { positive: true })).toThrow(/greater than zero/);
    expect(rejection(() => parseDecimal('q', '-0', { positive: true, allowNegative: true }))).toBe('BAD_USER_INPUT q');
    expect(parseDecimal('q', '0.000000000001', { positive: true }).toFixed()).toBe('0.000000000001');
  });

  it('honours narrower digit limits', () => {
    expect(() => parseDecimal('a', '1.234', { maxFractionDigits: 2 })).toThrow(/2 decimal places/);
    expect(parseDecimal('f', '1.12', { maxFractionDigits: 2 }).toFixed()).toBe('1.12');
    expect(() => parseDecimal('p', '1000', { maxIntegerDigits: 3 })).toThrow(/3 integer digits/);
    expect(parseDecimal('p', '0100', { maxIntegerDigits: 3 }).toFixed()).toBe('100');
  });
});
