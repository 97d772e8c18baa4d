import {
  canonical,
  canonicalString,
  Dec,
  roundCanonical,
  toFixedString,
} from '../../../moderator-subgraph/src/domain/money';

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
