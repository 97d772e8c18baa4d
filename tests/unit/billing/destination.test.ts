import { Dec, destinationOf, destinationRows, OTHER_DESTINATION, spreadAmount, type DestinationPart } from '../../../billing-subgraph/src/domain';

const part = (digits: string | null, calls: number, minutes: string, base: string, rated: string): DestinationPart => ({
  destination: destinationOf(digits),
  calls,
  minutes: new Dec(minutes),
  base: new Dec(base),
  rated: new Dec(rated),
});

describe('destination summary', () => {
  it('finds the country of E.164 digits by calling code and number (NANP area codes, Guernsey in +44)', () => {
    expect(destinationOf('12125551234')).toEqual({ key: '+1|US', prefix: '+1', country: 'US', countryName: 'United States' });
    expect(destinationOf('18765551234')).toMatchObject({ prefix: '+1', country: 'JM', countryName: 'Jamaica' });
    expect(destinationOf('442071234567')).toMatchObject({ prefix: '+44', country: 'GB', countryName: 'United Kingdom' });
    expect(destinationOf('441481712345')).toMatchObject({ prefix: '+44', country: 'GG' });
    expect(destinationOf('882123456')).toMatchObject({ prefix: '+882', country: null, countryName: 'International +882' });
    expect(destinationOf(undefined)).toBe(OTHER_DESTINATION);
    expect(destinationOf('999')).toBe(OTHER_DESTINATION);
  });

  it('spreads an amount in proportion with shares that add up exactly (largest remainder)', () => {
    const s = spreadAmount('10', ['1', '1', '1']);
    expect(s.map((x) => x.toFixed(6))).toEqual(['3.333334', '3.333333', '3.333333']);
    expect(spreadAmount('-1', ['1', '2']).map((x) => x.toFixed(6))).toEqual(['-0.333333', '-0.666667']);
    expect(spreadAmount('5', ['0', '0']).map((x) => x.toFixed())).toEqual(['5', '0']);
  });

  it('groups per country, keeps rated amounts when the bill charges them, Other/data last', () => {
    const rows = destinationRows([
      { usageAmount: '3.500000', parts: [part('12125551234', 2, '3', '180', '1.500000'), part('13105550000', 1, '1', '60', '0.500000'), part('442071234567', 1, '2', '120', '1.000000'), part(null, 4, '1', '60', '0.500000')] },
    ]);
    expect(rows).toEqual([
      { prefix: '+1', country: 'US', countryName: 'United States', calls: 3, minutes: '4', amount: '2.000000' },
      { prefix: '+44', country: 'GB', countryName: 'United Kingdom', calls: 1, minutes: '2', amount: '1.000000' },
      { prefix: null, country: null, countryName: 'Other / data', calls: 4, minutes: '1', amount: '0.500000' },
    ]);
  });

  it('VOLUME re-rated at period close: the bill amount is spread by billable seconds and adds up to it', () => {
    // rated as they came: 3.50 in all; the period's 70 minutes reached a tier that bills the period 3.00
    const rows = destinationRows([{ usageAmount: '3.000000', parts: [part('12125551234', 1, '40', '2400', '2.000000'), part('33123456789', 1, '20', '1200', '1.000000'), part('4915112345678', 1, '10', '600', '0.500000')] }]);
    expect(rows.map((r) => [r.country, r.amount])).toEqual([['US', '1.714286'], ['FR', '0.857143'], ['DE', '0.428571']]);
    expect(rows.reduce((a, r) => a.plus(r.amount), new Dec(0)).toFixed(6)).toBe('3.000000');
  });
});
