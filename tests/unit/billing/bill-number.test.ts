import { formatBillNumber, parseBillNumber } from '../../../billing-subgraph/src/domain/bill-number';
import { AppError } from '../../../billing-subgraph/src/domain/errors';

describe('bill numbers', () => {
  it('formats B-YYYY-MM-NNNNNN from the UTC issue month', () => {
    expect(formatBillNumber(42, new Date('2026-11-03T12:00:00Z'))).toBe('B-2026-11-000042');
    // 23:30 in New York on 30 Nov is already December in UTC.
    expect(formatBillNumber(1, new Date('2026-11-30T23:30:00-05:00'))).toBe('B-2026-12-000001');
    expect(formatBillNumber(1_234_567, new Date('2026-01-01T00:00:00Z'))).toBe('B-2026-01-1234567');
  });
  it('refuses a non-positive sequence or invalid date', () => {
    expect(() => formatBillNumber(0, new Date())).toThrow(AppError);
    expect(() => formatBillNumber(1.5, new Date())).toThrow(AppError);
    expect(() => formatBillNumber(1, new Date('nope'))).toThrow(AppError);
  });
  it('parses what it formats and nothing else', () => {
    expect(parseBillNumber('B-2026-11-000042')).toEqual({ year: 2026, month: 11, sequence: 42 });
    expect(parseBillNumber('CN-2026-11-000003')).toEqual({ year: 2026, month: 11, sequence: 3 });
    expect(parseBillNumber('B-2026-13-000042')).toBeNull();
    expect(parseBillNumber('B-2026-11-42')).toBeNull();
    expect(parseBillNumber('X-2026-11-000042')).toBeNull();
  });

  it('credit notes (a negative total) have their own series and title; every other bill is an invoice', async () => {
    const { seriesOfTotal, documentTitleOf } = await import('../../../billing-subgraph/src/domain/bill-number');
    expect(formatBillNumber(3, new Date('2026-11-03T12:00:00Z'), 'CREDIT_NOTE')).toBe('CN-2026-11-000003');
    expect(['-0.03', '-13.50', '0.00', '0', '-0.00', '4.08', undefined].map(seriesOfTotal)).toEqual(['CREDIT_NOTE', 'CREDIT_NOTE', 'INVOICE', 'INVOICE', 'INVOICE', 'INVOICE', 'INVOICE']);
    expect([documentTitleOf('-0.03'), documentTitleOf('4.08')]).toEqual(['Credit note', 'Invoice']);
  });
});
