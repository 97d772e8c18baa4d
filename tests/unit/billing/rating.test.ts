import { percentile95, ratePercentile, rateUsage } from '../../../billing-subgraph/src/domain/rating';
import type { EconomicIncentive } from '../../../billing-subgraph/src/domain/incentive';
import { AppError } from '../../../billing-subgraph/src/domain/errors';

const voice = (incentive: EconomicIncentive, seconds: string, cumulativeBefore?: string) =>
  rateUsage({ incentive, serviceType: 'VOICE', usage: { quantity: seconds }, cumulativeBefore });

describe('rateUsage — VOICE', () => {
  it('applies the default 60/60 increment and bills minutes × rate', () => {
    const r = voice({ currency: 'USD', ratePerUnit: '0.02' }, '61');
    expect(r.billableBaseQuantity).toBe('120');
    expect(r.billableQuantity).toBe('2');
    expect(r.unit).toBe('MINUTE');
    expect(r.amount).toBe('0.040000');
    expect(r.cumulativeAfter).toBe('120');
    expect(r.appliedIncentive).toEqual({
      currency: 'USD', unit: 'MINUTE', tierModel: 'GRADUATED', tierIndexes: [0], ratesPerUnit: ['0.02'],
      increment: { initialSeconds: 60, subsequentSeconds: 60 },
    });
  });

  it('rounds each record half-up at the 6th decimal', () => {
    expect(voice({ currency: 'USD', ratePerUnit: '0.0123456' }, '60').amount).toBe('0.012346');
    expect(voice({ currency: 'USD', ratePerUnit: '0.0123445' }, '60').amount).toBe('0.012345');
    expect(voice({ currency: 'USD', ratePerUnit: '0.0123444' }, '60').amount).toBe('0.012344');
  });

  it('multiplies before dividing so a third of a minute at a tie still rounds up', () => {
    // 20 s × 0.0000015 / 60 = 0.0000005 exactly; (20/60 truncated) × rate would be 0.00000049999…
    const r = voice({ currency: 'USD', ratePerUnit: '0.0000015', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } }, '20');
    expect(r.amount).toBe('0.000001');
    expect(r.billableQuantity).toBe('0.333333333333');
  });

  it('keeps the division last even where 60-digit precision would hide it', () => {
    // 2 s × 0.000165 / 60 = 0.0000055 exactly → 0.000006; (2/60) × 0.000165 gives 0.00000549… → 0.000005.
    const r = voice({ currency: 'USD', ratePerUnit: '0.000165', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } }, '2');
    expect(r.amount).toBe('0.000006');
  });

  it('bills a 30/6 call of 31 s as 36 s = 0.6 minutes', () => {
    const r = voice({ currency: 'USD', ratePerUnit: '0.06', billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 } }, '31');
    expect(r.billableBaseQuantity).toBe('36');
    expect(r.billableQuantity).toBe('0.6');
    expect(r.amount).toBe('0.036000');
  });

  it('charges nothing for a zero-second record but still names its tier', () => {
    const r = voice({ currency: 'USD', ratePerUnit: '0.02' }, '0');
    expect(r.amount).toBe('0.000000');
    expect(r.segments).toEqual([{ tierIndex: 0, fromQuantity: '0', ratePerUnit: '0.02', quantity: '0', baseQuantity: '0', amount: '0.000000' }]);
  });

  const tiered: EconomicIncentive = {
    currency: 'USD',
    ratePerUnit: '0.02',
    tiers: [{ fromQuantity: '100', ratePerUnit: '0.015' }],
  };

  it('splits a call crossing a graduated tier boundary (60/60)', () => {
    // 99 min before; 150 s → 180 billable s: 1 min at 0.02 + 2 min at 0.015.
    const r = voice(tiered, '150', '5940');
    expect(r.segments.map((s) => [s.tierIndex, s.quantity, s.amount])).toEqual([[0, '1', '0.020000'], [1, '2', '0.030000']]);
    expect(r.amount).toBe('0.050000');
    expect(r.cumulativeAfter).toBe('6120');
    expect(r.appliedIncentive.tierIndexes).toEqual([0, 1]);
    expect(r.appliedIncentive.ratesPerUnit).toEqual(['0.02', '0.015']);
  });

  it('splits per second (1/1) and rounds each part', () => {
    // 5990 s before (99.8333 min); 25 s: 10 s at 0.02/min = 0.0033333… → 0.003333,
    // 15 s at 0.015/min = 0.00375 → 0.003750; record = 0.007083.
    const r = voice({ ...tiered, billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } }, '25', '5990');
    expect(r.segments.map((s) => [s.tierIndex, s.baseQuantity, s.quantity, s.amount])).toEqual([
      [0, '10', '0.166666666667', '0.003333'],
      [1, '15', '0.25', '0.003750'],
    ]);
    expect(r.amount).toBe('0.007083');
  });

  it('prices a VOLUME record entirely at the tier reached', () => {
    const r = voice({ ...tiered, tierModel: 'VOLUME' }, '150', '5940');
    expect(r.segments.map((s) => [s.tierIndex, s.quantity, s.amount])).toEqual([[1, '3', '0.045000']]);
  });

  it.each([['1.5555'], ['-1'], ['1e3'], ['NaN'], [''], ['1234567890123456789']])('refuses quantity %j', (q) => {
    expect(() => voice({ currency: 'USD', ratePerUnit: '0.02' }, q)).toThrow(AppError);
  });

  it.each([
    // [increment, seconds, billable seconds, amount at 0.60/min]
    [[6, 6], '65.432', '66', '0.660000'],
    [[60, 60], '65.432', '120', '1.200000'],
    [[1, 1], '65.432', '66', '0.660000'],
    [[30, 6], '30.001', '36', '0.360000'],
    [[30, 6], '29.999', '30', '0.300000'],
    [[60, 1], '60.5', '61', '0.610000'],
    [[6, 6], '66.000', '66', '0.660000'],
    [[1, 1], '0.001', '1', '0.010000'],
  ] as const)('a fractional duration is rounded by the increments only: %j bills %s s as %s s', ([initialSeconds, subsequentSeconds], seconds, billable, amount) => {
    const r = voice({ currency: 'USD', ratePerUnit: '0.60', billingIncrement: { initialSeconds, subsequentSeconds } }, seconds);
    expect([r.billableBaseQuantity, r.amount, r.cumulativeAfter]).toEqual([billable, amount, billable]);
  });

  it('a DATA quantity stays whole bytes', () => {
    expect(() => rateUsage({ incentive: { currency: 'USD', ratePerUnit: '0.5' }, serviceType: 'DATA', usage: { quantity: '1000.5' } })).toThrow(AppError);
  });

  it('refuses a numeric quantity and a bad cumulativeBefore', () => {
    expect(() => rateUsage({ incentive: { currency: 'USD', ratePerUnit: '0.02' }, serviceType: 'VOICE', usage: { quantity: 60 as unknown as string } })).toThrow(AppError);
    expect(() => voice({ currency: 'USD', ratePerUnit: '0.02' }, '60', '1.5')).toThrow(AppError);
  });
});

describe('rateUsage — DATA', () => {
  it('bills VOLUME_GB with 1 GB = 10^9 bytes', () => {
    const r = rateUsage({ incentive: { currency: 'USD', ratePerUnit: '0.5' }, serviceType: 'DATA', usage: { quantity: '1500000000' } });
    expect(r.unit).toBe('GB');
    expect(r.billableQuantity).toBe('1.5');
    expect(r.amount).toBe('0.750000');
    expect(r.appliedIncentive.dataChargeModel).toBe('VOLUME_GB');
    expect(r.appliedIncentive.increment).toBeUndefined();
  });

  it('keeps a single byte exact (and rounds its charge away)', () => {
    const r = rateUsage({ incentive: { currency: 'USD', ratePerUnit: '0.5' }, serviceType: 'DATA', usage: { quantity: '1' } });
    expect(r.billableQuantity).toBe('0.000000001');
    expect(r.amount).toBe('0.000000');
  });

  it('splits GB tiers on cumulative bytes', () => {
    // 9.5 GB before, 1 GB more: 0.5 GB at 0.5 + 0.5 GB at 0.4 = 0.45.
    const r = rateUsage({
      incentive: { currency: 'USD', ratePerUnit: '0.5', tiers: [{ fromQuantity: '10', ratePerUnit: '0.4' }] },
      serviceType: 'DATA',
      usage: { quantity: '1000000000' },
      cumulativeBefore: '9500000000',
    });
    expect(r.segments.map((s) => [s.tierIndex, s.quantity, s.amount])).toEqual([[0, '0.5', '0.250000'], [1, '0.5', '0.200000']]);
    expect(r.amount).toBe('0.450000');
  });

  it('leaves PERCENTILE_95 records uncharged for period-level rating', () => {
    const r = rateUsage({
      incentive: { currency: 'USD', ratePerUnit: '2', dataChargeModel: 'PERCENTILE_95' },
      serviceType: 'DATA',
      usage: { quantity: '2000000000' },
    });
    expect(r.periodLevel).toBe(true);
    expect(r.amount).toBe('0.000000');
    expect(r.segments).toEqual([]);
    expect(r.billableQuantity).toBe('2');
  });
});

describe('95th percentile', () => {
  const shuffled = (n: number) => {
    const xs = Array.from({ length: n }, (_, i) => String(i + 1));
    // Deterministic shuffle so sorting is really exercised.
    for (let i = xs.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };

  it('drops the top 14 of 288 five-minute samples and bills the 274th', () => {
    expect(percentile95(shuffled(288))).toBe('274');
  });

  it('ignores up to 5 % of spikes but not one more', () => {
    const base = [...Array(273).fill('10'), '20'];
    expect(percentile95([...base, ...Array(14).fill('1000')])).toBe('20');
    expect(percentile95([...Array(272).fill('10'), '20', ...Array(15).fill('1000')])).toBe('1000');
  });

  it('compares decimals numerically, not as strings', () => {
    expect(percentile95(['9.5', '10.25', '100', '2'])).toBe('100');
  });

  it('drops nothing below 20 samples and one at 20', () => {
    expect(percentile95(shuffled(19))).toBe('19');
    expect(percentile95(shuffled(20))).toBe('19');
  });

  it('refuses empty or non-decimal samples', () => {
    expect(() => percentile95([])).toThrow(AppError);
    expect(() => percentile95(['1', 'NaN'])).toThrow(AppError);
  });

  it('rates the period: p95 Mbps × rate per Mbps', () => {
    const r = ratePercentile({ currency: 'USD', ratePerUnit: '2.5', dataChargeModel: 'PERCENTILE_95' }, shuffled(288));
    expect(r.p95Mbps).toBe('274');
    expect(r.sampleCount).toBe(288);
    expect(r.droppedSamples).toBe(14);
    expect(r.amount).toBe('685.000000');
  });

  it('applies graduated tiers to the p95 Mbps', () => {
    // 100 Mbps at 3 + 174 Mbps at 2 = 648.
    const r = ratePercentile(
      { currency: 'USD', ratePerUnit: '3', tiers: [{ fromQuantity: '100', ratePerUnit: '2' }], dataChargeModel: 'PERCENTILE_95' },
      shuffled(288),
    );
    expect(r.segments.map((s) => [s.tierIndex, s.quantity, s.amount])).toEqual([[0, '100', '300.000000'], [1, '174', '348.000000']]);
    expect(r.amount).toBe('648.000000');
  });
});
