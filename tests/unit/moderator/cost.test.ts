import { estimateCost } from '../../../moderator-subgraph/src/domain/cost';
import type { EconomicIncentive } from '../../../moderator-subgraph/src/domain/incentive';

function incentive(patch: Partial<EconomicIncentive> = {}): EconomicIncentive {
  return { currency: 'USD', ratePerUnit: '0.10', tierModel: 'GRADUATED', tiers: [], ...patch };
}

// Base 0.10 up to 1000, 0.08 from 1000, 0.05 from 5000.
const tiers = [
  { fromQuantity: '1000', ratePerUnit: '0.08' },
  { fromQuantity: '5000', ratePerUnit: '0.05' },
];

describe('estimateCost', () => {
  it('flat rate', () => {
    expect(estimateCost(incentive(), '250')).toEqual({
      total: '25',
      usage: '25',
      setupFee: '0',
      minimumTopUp: '0',
      effectiveRate: '0.1',
    });
  });

  describe('graduated tiers price each band at its own rate', () => {
    it.each([
      ['500', '50'], // base band only
      ['1000', '100'], // exactly at the boundary: the 0.08 band holds nothing yet
      ['1000.5', '100.04'], // 1000 * 0.10 + 0.5 * 0.08
      ['5000', '420'], // 100 + 4000 * 0.08
      ['6000', '470'], // 100 + 320 + 1000 * 0.05
    ])('%s units cost %s', (q, total) => {
      expect(estimateCost(incentive({ tiers }), q).total).toBe(total);
    });

    it('effective rate is total / quantity at 12 decimals', () => {
      expect(estimateCost(incentive({ tiers }), '6000').effectiveRate).toBe('0.078333333333');
    });
  });

  describe('volume tiers price everything at the highest tier reached', () => {
    it.each([
      ['999.999', '99.9999'], // below the first tier: base rate
      ['1000', '80'], // fromQuantity <= quantity: tier applies
      ['4999', '399.92'],
      ['6000', '300'],
    ])('%s units cost %s', (q, total) => {
      expect(estimateCost(incentive({ tiers, tierModel: 'VOLUME' }), q).total).toBe(total);
    });
  });

  it('tops usage up to the minimum charge and adds the setup fee', () => {
    const e = estimateCost(incentive({ tiers, minimumCharge: '500', setupFee: '25' }), '1000');
    expect(e).toEqual({ total: '525', usage: '100', setupFee: '25', minimumTopUp: '400', effectiveRate: '0.525' });
  });

  it('does not top up when usage exceeds the minimum', () => {
    const e = estimateCost(incentive({ tiers, minimumCharge: '400' }), '6000');
    expect(e.minimumTopUp).toBe('0');
    expect(e.total).toBe('470');
  });

  it('is exact where floats are not', () => {
    expect(estimateCost(incentive({ ratePerUnit: '0.1', setupFee: '0.2' }), '1').total).toBe('0.3');
    expect(estimateCost(incentive({ ratePerUnit: '0.1' }), '3').total).toBe('0.3');
    expect(estimateCost(incentive({ ratePerUnit: '0.1' }), '0.3').total).toBe('0.03');
  });

  it('keeps 1e-12 rates exact and rounds half-up at 6 decimals', () => {
    const tiny = incentive({ ratePerUnit: '0.000000000001' });
    expect(estimateCost(tiny, '1000000').total).toBe('0.000001');
    expect(estimateCost(tiny, '500000').total).toBe('0.000001'); // 0.0000005 rounds up
    expect(estimateCost(tiny, '499999').total).toBe('0'); // 0.000000499999 rounds down
    expect(estimateCost(tiny, '500000').effectiveRate).toBe('0.000000000002');
    expect(estimateCost(incentive({ ratePerUnit: '0.0000125' }), '1').total).toBe('0.000013');
  });

  it('handles the largest accepted operands without losing digits', () => {
    const e = estimateCost(incentive({ ratePerUnit: '999999.999999999999' }), '999999999999999999');
    // (1e18 - 1) * (1e6 - 1e-12) = 999999999999999998000000.000000000001
    expect(e.total).toBe('999999999999999998000000');
  });

  it('rejects a non-positive or malformed quantity', () => {
    expect(() => estimateCost(incentive(), '0')).toThrow(/quantity/);
    expect(() => estimateCost(incentive(), '1e3')).toThrow(/quantity/);
  });
});
