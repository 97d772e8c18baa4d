import { AppError, splitAcrossTiers, tierReached, usageCharge } from '../../../pricing/src';
import { normalizeIncentive, type EconomicIncentive } from '../../../billing-subgraph/src/domain/incentive';

const tiered: EconomicIncentive = {
  currency: 'USD',
  ratePerUnit: '0.02',
  tiers: [
    { fromQuantity: '100', ratePerUnit: '0.015' },
    { fromQuantity: '1000', ratePerUnit: '0.01' },
  ],
};
const brief = (segs: ReturnType<typeof splitAcrossTiers>) => segs.map((s) => [s.tierIndex, s.ratePerUnit, s.quantity]);

describe('splitAcrossTiers — GRADUATED', () => {
  it('splits a record that crosses a tier boundary', () => {
    expect(brief(splitAcrossTiers(tiered, '90', '20'))).toEqual([[0, '0.02', '10'], [1, '0.015', '10']]);
    expect(splitAcrossTiers(tiered, '90', '20')[1].fromQuantity).toBe('100');
  });

  it('splits across several boundaries', () => {
    expect(brief(splitAcrossTiers(tiered, '50', '2000'))).toEqual([
      [0, '0.02', '50'], [1, '0.015', '900'], [2, '0.01', '1050'],
    ]);
  });

  it('puts a record starting exactly at a boundary in the upper tier and one ending there in the lower', () => {
    expect(brief(splitAcrossTiers(tiered, '100', '5'))).toEqual([[1, '0.015', '5']]);
    expect(brief(splitAcrossTiers(tiered, '95', '5'))).toEqual([[0, '0.02', '5']]);
  });

  it('gives a zero quantity one zero segment in the current tier', () => {
    expect(brief(splitAcrossTiers(tiered, '150', '0'))).toEqual([[1, '0.015', '0']]);
    expect(brief(splitAcrossTiers(tiered, '0', '0'))).toEqual([[0, '0.02', '0']]);
  });

  it('scales tier boundaries, not quantities (seconds against per-minute tiers)', () => {
    // 99 min = 5940 s before; 180 s more: 60 s before the 100-minute boundary, 120 s after.
    expect(brief(splitAcrossTiers(tiered, '5940', '180', 60))).toEqual([[0, '0.02', '60'], [1, '0.015', '120']]);
  });

  it('works without tiers', () => {
    expect(brief(splitAcrossTiers({ ratePerUnit: '0.3' }, '1000000', '7'))).toEqual([[0, '0.3', '7']]);
  });

  it('refuses negative quantities', () => {
    expect(() => splitAcrossTiers(tiered, '-1', '5')).toThrow(AppError);
    expect(() => splitAcrossTiers(tiered, '0', '-5')).toThrow(AppError);
  });
});

describe('splitAcrossTiers — VOLUME', () => {
  const volume: EconomicIncentive = { ...tiered, tierModel: 'VOLUME' };
  it('prices the whole record at the tier its cumulative end reaches', () => {
    expect(brief(splitAcrossTiers(volume, '90', '20'))).toEqual([[1, '0.015', '20']]);
    expect(brief(splitAcrossTiers(volume, '50', '40'))).toEqual([[0, '0.02', '40']]);
    expect(brief(splitAcrossTiers(volume, '90', '10'))).toEqual([[1, '0.015', '10']]);
    expect(brief(splitAcrossTiers(volume, '0', '5000'))).toEqual([[2, '0.01', '5000']]);
  });
});

describe('usageCharge: what the Moderator ranks by and a period bills (issue 14, item 1)', () => {
  const volume: EconomicIncentive = { ...tiered, tierModel: 'VOLUME' };
  it('GRADUATED sums each band: 100 × 0.02 + 900 × 0.015 + 500 × 0.01', () => {
    expect(usageCharge(tiered, '1500').toFixed()).toBe('20.5');
    expect(usageCharge(tiered, '0').toFixed()).toBe('0');
  });
  it('VOLUME prices every unit at the tier the total reaches, a boundary included', () => {
    expect(usageCharge(volume, '1500').toFixed()).toBe('15');
    expect(usageCharge(volume, '999').toFixed()).toBe('14.985');
    expect(usageCharge(volume, '1000').toFixed()).toBe('10');
    expect(usageCharge(volume, '99.5').toFixed()).toBe('1.99');
  });
  it('tierReached names the tier of a total in base units (seconds against a per-minute rate)', () => {
    expect(tierReached(volume, 59_940, 60)).toEqual({ tierIndex: 1, fromQuantity: '100', ratePerUnit: '0.015' });
    expect(tierReached(volume, 60_000, 60)).toEqual({ tierIndex: 2, fromQuantity: '1000', ratePerUnit: '0.01' });
    expect(tierReached(volume, 0, 60)).toEqual({ tierIndex: 0, fromQuantity: '0', ratePerUnit: '0.02' });
    expect(() => tierReached(volume, -1)).toThrow(AppError);
  });
  it('the sum of a period split into records equals the charge of the period total (GRADUATED)', () => {
    const parts = ['30', '80', '400', '990'];
    let before = 0;
    let total = usageCharge(tiered, '0');
    for (const q of parts) {
      for (const s of splitAcrossTiers(tiered, String(before), q)) total = total.plus(usageCharge({ ratePerUnit: s.ratePerUnit }, s.quantity));
      before += Number(q);
    }
    expect(total.toFixed()).toBe(usageCharge(tiered, String(before)).toFixed());
  });
});

describe('normalizeIncentive', () => {
  it('fills defaults', () => {
    const n = normalizeIncentive({ currency: 'EUR', ratePerUnit: '0.01' });
    expect(n).toEqual({
      currency: 'EUR', ratePerUnit: '0.01', tiers: [], tierModel: 'GRADUATED',
      billingIncrement: { initialSeconds: 60, subsequentSeconds: 60 }, dataChargeModel: 'VOLUME_GB',
    });
  });

  it.each([
    [{ ...tiered, currency: 'XXX' }, 'incentive.currency'],
    [{ ...tiered, ratePerUnit: 0.02 }, 'incentive.ratePerUnit'],
    [{ ...tiered, ratePerUnit: '1e-2' }, 'incentive.ratePerUnit'],
    [{ ...tiered, tiers: [{ fromQuantity: '0', ratePerUnit: '0.01' }] }, 'incentive.tiers[0].fromQuantity'],
    [{ ...tiered, tiers: [{ fromQuantity: '100', ratePerUnit: '0.01' }, { fromQuantity: '100', ratePerUnit: '0.005' }] }, 'incentive.tiers[1].fromQuantity'],
    [{ ...tiered, tierModel: 'STAIRCASE' }, 'incentive.tierModel'],
    [{ ...tiered, billingIncrement: { initialSeconds: 30, subsequentSeconds: 0 } }, 'incentive.billingIncrement.subsequentSeconds'],
    [{ ...tiered, billingIncrement: { initialSeconds: 1.5, subsequentSeconds: 6 } }, 'incentive.billingIncrement.initialSeconds'],
    [{ ...tiered, dataChargeModel: 'FLAT' }, 'incentive.dataChargeModel'],
    [{ ...tiered, minimumCharge: '-5' }, 'incentive.minimumCharge'],
    [{ ...tiered, setupFee: 'NaN' }, 'incentive.setupFee'],
  ])('refuses a bad incentive (%#) naming %s', (raw, field) => {
    try {
      normalizeIncentive(raw);
      throw new Error('expected a AppError');
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).field).toBe(field);
    }
  });
});
