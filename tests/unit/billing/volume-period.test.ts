import { volumePeriodRecords, type EconomicIncentive } from '../../../billing-subgraph/src/domain';

const volume: EconomicIncentive = {
  currency: 'USD',
  ratePerUnit: '0.02',
  tierModel: 'VOLUME',
  tiers: [
    { fromQuantity: '100', ratePerUnit: '0.015' },
    { fromQuantity: '1000', ratePerUnit: '0.01' },
  ],
};

describe('VOLUME tiers at period close (issue 14, item 1)', () => {
  it('prices every end user line at the tier the selection total reached and says so', () => {
    // 700 + 400 min = 1,100 min in the period: tier 2 for all of it.
    const r = volumePeriodRecords(volume, [
      { endUserId: null, unit: 'MINUTE', baseQuantity: '42000' },
      { endUserId: 'eu-1', unit: 'MINUTE', baseQuantity: '24000' },
    ])!;
    expect(r.map((x) => [x.endUserId, x.quantity, x.tierIndex, x.ratePerUnit, x.amount])).toEqual([
      [null, '700', 2, '0.01', '7.000000'],
      ['eu-1', '400', 2, '0.01', '4.000000'],
    ]);
    expect(r[0].description).toContain("VOLUME tier 2 (from 1000 MINUTE) reached by the period's total of 1100 MINUTE");
  });

  it('stays at the base rate below the first tier and is exact on odd seconds', () => {
    const [only] = volumePeriodRecords(volume, [{ endUserId: null, unit: 'MINUTE', baseQuantity: '61' }])!;
    expect(only).toMatchObject({ tierIndex: 0, ratePerUnit: '0.02', quantity: '1.016666666667', amount: '0.020333' });
  });

  it('leaves GRADUATED incentives, percentile usage and mixed units alone', () => {
    expect(volumePeriodRecords({ ...volume, tierModel: 'GRADUATED' }, [{ endUserId: null, unit: 'MINUTE', baseQuantity: '60' }])).toBeNull();
    expect(volumePeriodRecords(volume, [])).toBeNull();
    expect(volumePeriodRecords(volume, [{ endUserId: null, unit: 'MBPS_P95', baseQuantity: '60' }])).toBeNull();
  });
});
