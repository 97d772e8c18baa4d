import { DEFAULT_MEDIATION_POLICY, DEFAULT_PRECEDENCE, reconcileRecords, reconciliationCsv, type ReconRecord } from '../../../billing-subgraph/src/domain';

const T0 = Date.UTC(2026, 10, 5, 10, 0, 0);
const r = (id: string, source: string, o: Partial<ReconRecord> = {}): ReconRecord => ({ id, source, destination: '4420', answerMs: T0, seconds: 60, amount: '0.60', ...o });

describe('reconcileRecords', () => {
  it('counts per source and compares every pair: matched, only in one, durations beyond the tolerance, the difference', () => {
    const records = [
      r('m1', 'MEASURING_EQUIPMENT'),
      r('c1', 'CARRIER', { callId: 'm1', seconds: 61, amount: '0.61' }),
      r('m2', 'MEASURING_EQUIPMENT', { answerMs: T0 + 600_000, seconds: 100, amount: '1.00' }),
      // same answer time as m2 but 40 s longer: mediation kept it apart; reconciliation names it
      r('c2', 'CARRIER', { answerMs: T0 + 601_000, seconds: 140, amount: '1.40' }),
      r('m3', 'MEASURING_EQUIPMENT', { answerMs: T0 + 1_200_000 }),
      r('c4', 'CARRIER', { answerMs: T0 + 1_800_000, destination: '4421' }),
    ];
    const out = reconcileRecords(records, DEFAULT_MEDIATION_POLICY, DEFAULT_PRECEDENCE);
    expect(out.calls).toBe(5);
    expect(out.sources).toEqual([
      { source: 'MEASURING_EQUIPMENT', calls: 3, seconds: 220, minutes: '3.666667', amount: '2.200000' },
      { source: 'CARRIER', calls: 3, seconds: 261, minutes: '4.350000', amount: '2.610000' },
    ]);
    expect(out.comparisons).toEqual([{ a: 'MEASURING_EQUIPMENT', b: 'CARRIER', matched: 1, onlyInA: 1, onlyInB: 1, durationMismatches: 1, secondsDifference: 41, amountDifference: '0.410000' }]);
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
