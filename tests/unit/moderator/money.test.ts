import { AppError } from '../../../moderator-subgraph/src/domain/errors';
import {
  canonical,
  canonicalString,
  Dec,
  parseDecimal,
  roundCanonical,
  toFixedString,
} from '../../../moderator-subgraph/src/domain/money';

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return `${e.code} ${e.field}`;
    throw e;
  }
  throw new Error('expected a AppError');
}

describe('parseDecimal', () => {
  it.each(['0', '12', '-3.5', '0.000000000001', '123456789012345678', '-0', '007.50'])('accepts %s', (v) => {
    expect(parseDecimal('x', v).toFixed()).toBe(new Dec(v).toFixed());
  });

  it.each([
    ['1e5'], ['NaN'], ['Infinity'], ['-Infinity'], [''], [' 1'], ['1 '], ['+1'], ['.5'], ['1.'], ['1,5'], ['0x10'], ['--1'],
    ['1234567890123456789'], // 19 integer digits
    ['0.1234567890123'], // 13 fraction digits
  ])('rejects %j naming the field', (v) => {
    expect(rejection(() => parseDecimal('input.quantity', v))).toBe('BAD_USER_INPUT input.quantity');
  });

  it('rejects JS numbers, which have already lost exactness', () => {
    expect(rejection(() => parseDecimal('input.rate', 0.1))).toBe('BAD_USER_INPUT input.rate');
    expect(rejection(() => parseDecimal('input.rate', null))).toBe('BAD_USER_INPUT input.rate');
  });

  it('enforces positive and nonNegative', () => {
    expect(rejection(() => parseDecimal('q', '0', { positive: true }))).toBe('BAD_USER_INPUT q');
    expect(rejection(() => parseDecimal('q', '-0', { positive: true }))).toBe('BAD_USER_INPUT q');
    expect(parseDecimal('q', '0.000000000001', { positive: true }).toFixed()).toBe('0.000000000001');
    expect(parseDecimal('r', '-0', { nonNegative: true }).isZero()).toBe(true);
    expect(rejection(() => parseDecimal('r', '-0.000001', { nonNegative: true }))).toBe('BAD_USER_INPUT r');
  });

  it('honours a smaller maxScale but never a larger one', () => {
    expect(rejection(() => parseDecimal('f', '1.123', { maxScale: 2 }))).toBe('BAD_USER_INPUT f');
    expect(parseDecimal('f', '1.12', { maxScale: 2 }).toFixed()).toBe('1.12');
    expect(rejection(() => parseDecimal('f', '0.1234567890123', { maxScale: 20 }))).toBe('BAD_USER_INPUT f');
  });
});

describe('formatting', () => {
  it('canonical strips trailing zeros and never prints -0 or an exponent', () => {
    expect(canonical(new Dec('1.500'))).toBe('1.5');
    expect(canonical(new Dec('-0'))).toBe('0');
    expect(canonical(new Dec('0.000000000001'))).toBe('0.000000000001');
    expect(canonical(new Dec('123456789012345678'))).toBe('123456789012345678');
    expect(canonicalString('x', '0010.2500')).toBe('10.25');
  });

  it('rounds half-up, including negative halves away from zero', () => {
    expect(toFixedString(new Dec('2.345'), 2)).toBe('2.35');
    expect(toFixedString(new Dec('2.344999'), 2)).toBe('2.34');
    expect(toFixedString(new Dec('-2.345'), 2)).toBe('-2.35');
    expect(toFixedString(new Dec('-0.001'), 2)).toBe('0.00');
    expect(roundCanonical(new Dec('0.0000125'))).toBe('0.000013');
    expect(roundCanonical(new Dec('0.0000124999'))).toBe('0.000012');
    expect(roundCanonical(new Dec('1.1000004'))).toBe('1.1');
  });

  it('is exact where floats are not', () => {
    expect(canonical(new Dec('0.1').add('0.2'))).toBe('0.3');
    expect(canonical(new Dec('1.1').mul('1.1'))).toBe('1.21');
  });
});
