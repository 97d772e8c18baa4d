import { AppError } from '../../../moderator-subgraph/src/domain/errors';
import {
  type EconomicIncentiveInput,
  validateIncentive,
} from '../../../moderator-subgraph/src/domain/incentive';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError && e.code === 'BAD_USER_INPUT') return e.field;
    throw e;
  }
  throw new Error('expected BAD_USER_INPUT');
}

const base: EconomicIncentiveInput = { currency: 'USD', ratePerUnit: '0.0125' };

describe('validateIncentive', () => {
  it('fills VOICE defaults and canonicalises decimals', () => {
    expect(validateIncentive({ ...base, ratePerUnit: '0.01250', setupFee: '5.00' }, 'VOICE')).toEqual({
      currency: 'USD',
      ratePerUnit: '0.0125',
      tierModel: 'GRADUATED',
      tiers: [],
      billingIncrement: { initialSeconds: 60, subsequentSeconds: 60 },
      setupFee: '5',
    });
  });

  it('keeps a valid billing increment and tiers', () => {
    const inc = validateIncentive(
      {
        ...base,
        tierModel: 'VOLUME',
        tiers: [
          { fromQuantity: '1000', ratePerUnit: '0.010' },
          { fromQuantity: '5000.5', ratePerUnit: '0.008' },
        ],
        billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 },
        minimumCharge: '0',
      },
      'VOICE',
    );
    expect(inc.tierModel).toBe('VOLUME');
    expect(inc.tiers).toEqual([
      { fromQuantity: '1000', ratePerUnit: '0.01' },
      { fromQuantity: '5000.5', ratePerUnit: '0.008' },
    ]);
    expect(inc.billingIncrement).toEqual({ initialSeconds: 30, subsequentSeconds: 6 });
    expect(inc.minimumCharge).toBe('0');
  });

  it('defaults the DATA charge model from the request unit when known', () => {
    expect(validateIncentive(base, 'DATA').dataChargeModel).toBe('VOLUME_GB');
    expect(validateIncentive(base, 'DATA', 'input.incentive', 'MBPS').dataChargeModel).toBe('PERCENTILE_95');
    expect(validateIncentive({ ...base, dataChargeModel: 'PERCENTILE_95' }, 'DATA').dataChargeModel).toBe('PERCENTILE_95');
    expect(validateIncentive(base, 'DATA').billingIncrement).toBeUndefined();
  });

  it('names the offending field', () => {
    const cases: [EconomicIncentiveInput, 'VOICE' | 'DATA', string][] = [
      [{ ...base, currency: 'usd' }, 'VOICE', 'input.incentive.currency'],
      [{ ...base, currency: 'XYZ' }, 'VOICE', 'input.incentive.currency'],
      [{ ...base, currency: 'US' }, 'VOICE', 'input.incentive.currency'],
      [{ ...base, ratePerUnit: '-0.01' }, 'VOICE', 'input.incentive.ratePerUnit'],
      [{ ...base, ratePerUnit: 0.01 }, 'VOICE', 'input.incentive.ratePerUnit'],
      [{ ...base, ratePerUnit: '1e-3' }, 'VOICE', 'input.incentive.ratePerUnit'],
      [{ ...base, tierModel: 'STAIRCASE' }, 'VOICE', 'input.incentive.tierModel'],
      [{ ...base, tiers: [{ fromQuantity: '0', ratePerUnit: '0.01' }] }, 'VOICE', 'input.incentive.tiers[0].fromQuantity'],
      [
        { ...base, tiers: [{ fromQuantity: '100', ratePerUnit: '0.01' }, { fromQuantity: '100', ratePerUnit: '0.009' }] },
        'VOICE',
        'input.incentive.tiers[1].fromQuantity',
      ],
      [
        { ...base, tiers: [{ fromQuantity: '100', ratePerUnit: '0.01' }, { fromQuantity: '50', ratePerUnit: '0.009' }] },
        'VOICE',
        'input.incentive.tiers[1].fromQuantity',
      ],
      [{ ...base, tiers: [{ fromQuantity: '100', ratePerUnit: '-1' }] }, 'VOICE', 'input.incentive.tiers[0].ratePerUnit'],
      [{ ...base, billingIncrement: { initialSeconds: 0, subsequentSeconds: 6 } }, 'VOICE', 'input.incentive.billingIncrement.initialSeconds'],
      [{ ...base, billingIncrement: { initialSeconds: 30, subsequentSeconds: 3601 } }, 'VOICE', 'input.incentive.billingIncrement.subsequentSeconds'],
      [{ ...base, billingIncrement: { initialSeconds: 1.5, subsequentSeconds: 1 } }, 'VOICE', 'input.incentive.billingIncrement.initialSeconds'],
      [{ ...base, dataChargeModel: 'VOLUME_GB' }, 'VOICE', 'input.incentive.dataChargeModel'],
      [{ ...base, billingIncrement: { initialSeconds: 60, subsequentSeconds: 60 } }, 'DATA', 'input.incentive.billingIncrement'],
      [{ ...base, dataChargeModel: 'PER_PORT' }, 'DATA', 'input.incentive.dataChargeModel'],
      [{ ...base, minimumCharge: '-1' }, 'VOICE', 'input.incentive.minimumCharge'],
      [{ ...base, setupFee: 'free' }, 'VOICE', 'input.incentive.setupFee'],
    ];
    for (const [input, st, field] of cases) {
      expect({ input, field: fieldOf(() => validateIncentive(input, st)) }).toEqual({ input, field });
    }
  });

  it('rejects a DATA charge model that contradicts the request unit', () => {
    expect(fieldOf(() => validateIncentive({ ...base, dataChargeModel: 'VOLUME_GB' }, 'DATA', 'bid', 'MBPS'))).toBe(
      'bid.dataChargeModel',
    );
  });

  it('uses the field prefix it is given', () => {
    expect(fieldOf(() => validateIncentive({ ...base, currency: 'eur' }, 'VOICE', 'input.bid.incentive'))).toBe(
      'input.bid.incentive.currency',
    );
    expect(fieldOf(() => validateIncentive(null, 'VOICE'))).toBe('input.incentive');
  });
});
