import { billableSeconds } from '../../../billing-subgraph/src/domain/increments';
import { AppError } from '../../../billing-subgraph/src/domain/errors';

describe('billableSeconds', () => {
  it.each([
    [29, 30], [30, 30], [31, 36], [35, 36], [36, 36], [37, 42], [1, 30], [90, 90], [91, 96],
  ])('30/6 bills %i s as %i s', (s, expected) => {
    expect(billableSeconds(s, { initialSeconds: 30, subsequentSeconds: 6 })).toBe(expected);
  });

  it.each([[1, 60], [59, 60], [60, 60], [61, 120], [120, 120], [121, 180]])('60/60 bills %i s as %i s', (s, expected) => {
    expect(billableSeconds(s, { initialSeconds: 60, subsequentSeconds: 60 })).toBe(expected);
  });

  it.each([[1, 1], [2, 2], [59, 59], [61, 61], [3600, 3600]])('1/1 bills %i s as %i s', (s, expected) => {
    expect(billableSeconds(s, { initialSeconds: 1, subsequentSeconds: 1 })).toBe(expected);
  });

  it('60/1 bills the first minute whole, then per second', () => {
    expect(billableSeconds(10, { initialSeconds: 60, subsequentSeconds: 1 })).toBe(60);
    expect(billableSeconds(61, { initialSeconds: 60, subsequentSeconds: 1 })).toBe(61);
  });

  it('does not charge a first block for zero seconds', () => {
    expect(billableSeconds(0, { initialSeconds: 60, subsequentSeconds: 60 })).toBe(0);
    expect(billableSeconds(0, { initialSeconds: 30, subsequentSeconds: 6 })).toBe(0);
  });

  it.each([
    ['65.432', 6, 6, 66], ['65.432', 60, 60, 120], ['60.001', 60, 60, 120], ['59.999', 60, 60, 60], ['0.001', 30, 6, 30], ['36.001', 30, 6, 42], ['1.5', 1, 1, 2],
  ] as const)('a fractional duration %s s under %i/%i bills %i s (exact milliseconds)', (s, initialSeconds, subsequentSeconds, expected) => {
    expect(billableSeconds(s, { initialSeconds, subsequentSeconds })).toBe(expected);
  });

  it('refuses negative, over-precise and unsafe inputs', () => {
    const inc = { initialSeconds: 60, subsequentSeconds: 60 };
    expect(() => billableSeconds(-1, inc)).toThrow(AppError);
    expect(() => billableSeconds('1.0005', inc)).toThrow(AppError);
    expect(() => billableSeconds('1e3', inc)).toThrow(AppError);
    expect(() => billableSeconds('999999999999999999', inc)).toThrow(AppError);
    expect(() => billableSeconds(NaN, inc)).toThrow(AppError);
    expect(() => billableSeconds(10, { initialSeconds: 0, subsequentSeconds: 6 })).toThrow(AppError);
    expect(() => billableSeconds(10, { initialSeconds: 30, subsequentSeconds: 0 })).toThrow(AppError);
  });
});
