import { DEFAULT_MEDIATION_POLICY, DEFAULT_PRECEDENCE, reconcileRecords, reconciliationCsv, type ReconRecord } from '../../../billing-subgraph/src/domain';

const T0 = Date.UTC(2026, 10, 5, 10, 0, 0);
const r = (id: string, source: string, o: Partial<ReconRecord> = {}): ReconRecord => ({ id, source, buyerId: 'b', carrierId: 'c', destination: '4420', answerMs: T0, seconds: '60', amount: '0.60', ...o });

describe('reconcileRecords', () => {
  it('counts per source and compares every pair: matched, only in one, matched calls whose durations differ beyond the tolerance, the difference', () => {
    const records = [
      r('m1', 'MEASURING_EQUIPMENT'),
      r('c1', 'CARRIER', { callId: 'm1', seconds: '61', amount: '0.61' }),
      r('m2', 'MEASURING_EQUIPMENT', { answerMs: T0 + 600_000, seconds: '100', amount: '1.00' }),
      // Answered 1 s after m2, 40 s longer: the same call (one rule, durations play no part), a duration mismatch.
      r('c2', 'CARRIER', { callId: 'm2', answerMs: T0 + 601_000, seconds: '140', amount: '1.40' }),
      r('m3', 'MEASURING_EQUIPMENT', { answerMs: T0 + 1_200_000 }),
      r('c4', 'CARRIER', { answerMs: T0 + 1_800_000, destination: '4421' }),
    ];
    const out = reconcileRecords(records, DEFAULT_MEDIATION_POLICY, DEFAULT_PRECEDENCE);
    expect(out.calls).toBe(4);
    expect(out.sources).toEqual([
      { source: 'MEASURING_EQUIPMENT', calls: 3, seconds: '220', minutes: '3.666667', amount: '2.200000' },
      { source: 'CARRIER', calls: 3, seconds: '261', minutes: '4.350000', amount: '2.610000' },
    ]);
    expect(out.comparisons).toEqual([{ a: 'MEASURING_EQUIPMENT', b: 'CARRIER', matched: 2, onlyInA: 1, onlyInB: 1, durationMismatches: 1, secondsDifference: '41', amountDifference: '0.410000' }]);
  });

  it('records mediation did not link are matched by the same rule: same number, answer within the tolerance, another source; the closest answer first', () => {
    const records = [
      r('m1', 'MEASURING_EQUIPMENT', { seconds: '160' }),
      r('c1', 'CARRIER', { answerMs: T0 + 3_000, seconds: '180' }),
      // Two calls of the meter 8 s apart and the carrier's two: each pairs with the closest.
      r('m2', 'MEASURING_EQUIPMENT', { answerMs: T0 + 100_000, destination: '4422' }),
      r('m3', 'MEASURING_EQUIPMENT', { answerMs: T0 + 108_000, destination: '4422', seconds: '30' }),
      r('c3', 'CARRIER', { answerMs: T0 + 107_000, destination: '4422', seconds: '31' }),
      r('c2', 'CARRIER', { answerMs: T0 + 101_000, destination: '4422' }),
      // Same source twice within the tolerance: two calls. Beyond the tolerance (11 s): alone.
      r('m4', 'MEASURING_EQUIPMENT', { answerMs: T0 + 200_000, destination: '4423' }),
      r('m5', 'MEASURING_EQUIPMENT', { answerMs: T0 + 201_000, destination: '4423' }),
      r('c6', 'CARRIER', { answerMs: T0 + 300_000, destination: '4424' }),
      r('m6', 'MEASURING_EQUIPMENT', { answerMs: T0 + 311_000, destination: '4424' }),
    ];
    const out = reconcileRecords(records, DEFAULT_MEDIATION_POLICY, DEFAULT_PRECEDENCE);
    expect(out.comparisons).toEqual([{ a: 'MEASURING_EQUIPMENT', b: 'CARRIER', matched: 3, onlyInA: 3, onlyInB: 1, durationMismatches: 1, secondsDifference: '-99', amountDifference: '-1.200000' }]);
    expect(out.calls).toBe(7);
  });

  it('writes the CSV both sides load, guarding spreadsheet formulas in ids', () => {
    const out = reconcileRecords([r('m1', 'MEASURING_EQUIPMENT')], DEFAULT_MEDIATION_POLICY, DEFAULT_PRECEDENCE);
    const csv = reconciliationCsv({ buyerId: '=HYPERLINK("x")', carrierId: 'c, inc', periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z', currency: 'USD' }, out);
    expect(csv.split('\n')).toEqual([
      'buyer,carrier,request,period start,period end,currency,calls',
      `"'=HYPERLINK(""x"")","c, inc",,2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,USD,1`,
      '',
      'source,calls,seconds,minutes,amount',
      'MEASURING_EQUIPMENT,1,60,1.000000,0.600000',
      '',
      'source a,source b,matched,only in a,only in b,duration mismatches,seconds difference (b - a),amount difference (b - a)',
      '',
    ]);
  });
});
