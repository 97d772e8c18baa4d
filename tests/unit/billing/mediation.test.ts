import { checkMediationPolicy, DEFAULT_MEDIATION_POLICY, durationsDiffer, mediate, sameCall, type CallRecord } from '../../../billing-subgraph/src/domain';

const P = () => DEFAULT_MEDIATION_POLICY;
const T0 = Date.UTC(2026, 10, 3, 14, 0, 0);
const rec = (id: string, source: string, o: Partial<CallRecord> = {}): CallRecord => ({ id, source, buyerId: 'B', carrierId: 'C', destination: '442079460000', answerMs: T0, seconds: 120, ...o });

describe('sameCall (the one matching rule of mediation and reconciliation)', () => {
  it('one buyer, carrier and called number, answered within the answer tolerance, whatever the durations', () => {
    const a = rec('a', 'CARRIER');
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { answerMs: T0 + 10_000, seconds: 125 }), P())).toBe(true);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { answerMs: T0 - 10_000 }), P())).toBe(true);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { answerMs: T0 + 10_001 }), P())).toBe(false);
    // 160 s at the PBX, 180 s at the carrier, 3 s apart: one call (it used to be two, charged twice).
    expect(sameCall(rec('pbx', 'MEASURING_EQUIPMENT', { seconds: 160 }), rec('car', 'CARRIER', { answerMs: T0 + 3000, seconds: 180 }), P())).toBe(true);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { destination: '442079460001' }), P())).toBe(false);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { carrierId: 'C2' }), P())).toBe(false);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { buyerId: 'B2' }), P())).toBe(false);
    // Each source reports a call once: two records of one source are two calls.
    expect(sameCall(a, rec('b', 'CARRIER', { answerMs: T0 + 1000 }), P())).toBe(false);
    // No called number: nothing to correlate on.
    expect(sameCall(rec('x', 'CARRIER', { destination: '' }), rec('y', 'MEASURING_EQUIPMENT', { destination: '' }), P())).toBe(false);
  });

  it('durationsDiffer: beyond the larger of 5 s and 2 % of the longer duration, compared exactly', () => {
    expect(durationsDiffer('120', '125', P())).toBe(false);
    expect(durationsDiffer('120', '125.001', P())).toBe(true);
    expect(durationsDiffer('160', '180', P())).toBe(true);
    // 2 % of a long call is more than 5 s
    expect(durationsDiffer('3600', '3670', P())).toBe(false);
    expect(durationsDiffer('3600', '3674', P())).toBe(true);
    expect(durationsDiffer('65.432', '65', P())).toBe(false);
  });
});

describe('mediate', () => {
  const policy = () => P();
  it('elects by precedence within a batch and links the others to the call', () => {
    const out = mediate([rec('car', 'CARRIER'), rec('lec', 'LOCAL_EXCHANGE_CARRIER', { answerMs: T0 + 2000 }), rec('meter', 'MEASURING_EQUIPMENT', { seconds: 118 })], [], policy);
    expect(out.incoming).toEqual([
      { callId: 'car', elected: false },
      { callId: 'car', elected: false },
      { callId: 'car', elected: true },
    ]);
    expect(out.demoted).toEqual([]);
  });

  it('a lower-precedence record arriving later corroborates; a higher one supersedes the stored billable record', () => {
    const stored = [rec('lec', 'LOCAL_EXCHANGE_CARRIER', { elected: true })];
    expect(mediate([rec('car', 'CARRIER', { answerMs: T0 + 3000 })], stored, policy)).toEqual({ incoming: [{ callId: 'lec', elected: false }], demoted: [] });
    const withEvidence = [rec('lec', 'LOCAL_EXCHANGE_CARRIER', { elected: true }), rec('car', 'CARRIER', { callId: 'lec', elected: false })];
    expect(mediate([rec('mod', 'MODERATOR', { answerMs: T0 - 4000 })], withEvidence, policy)).toEqual({
      incoming: [{ callId: 'lec', elected: true, supersedes: 'lec' }],
      demoted: [{ id: 'lec', callId: 'lec', by: 'mod' }],
    });
  });

  it('two records of one source are two calls, and each source joins the closest call', () => {
    const stored = [rec('m1', 'MEASURING_EQUIPMENT', { elected: true }), rec('m2', 'MEASURING_EQUIPMENT', { answerMs: T0 + 8000, elected: true })];
    const out = mediate([rec('c1', 'CARRIER', { answerMs: T0 + 1000 }), rec('c2', 'CARRIER', { answerMs: T0 + 7000 }), rec('m3', 'MEASURING_EQUIPMENT', { answerMs: T0 + 500 })], stored, policy);
    expect(out.incoming).toEqual([
      { callId: 'm1', elected: false },
      { callId: 'm2', elected: false },
      { callId: 'm3', elected: true },
    ]);
  });

  it('160 s at the PBX and 180 s at the carrier answered 3 s later: one call, the PBX record elected by precedence, in either order of arrival', () => {
    const pbx = rec('pbx', 'MEASURING_EQUIPMENT', { seconds: 160 });
    const car = rec('car', 'CARRIER', { answerMs: T0 + 3000, seconds: 180 });
    expect(mediate([pbx, car], [], policy).incoming).toEqual([{ callId: 'pbx', elected: true }, { callId: 'pbx', elected: false }]);
    expect(mediate([car], [{ ...pbx, elected: true }], policy)).toEqual({ incoming: [{ callId: 'pbx', elected: false }], demoted: [] });
    // The carrier's first: it is billed until the PBX record arrives and replaces it.
    expect(mediate([pbx], [{ ...car, elected: true }], policy)).toEqual({ incoming: [{ callId: 'car', elected: true, supersedes: 'car' }], demoted: [{ id: 'car', callId: 'car', by: 'pbx' }] });
  });

  it('honours a pair\'s own precedence', () => {
    const carrierFirst = checkMediationPolicy({ precedence: ['CARRIER', 'MEASURING_EQUIPMENT'] });
    const out = mediate([rec('car', 'CARRIER'), rec('meter', 'MEASURING_EQUIPMENT')], [], () => carrierFirst);
    expect(out.incoming.map((o) => o.elected)).toEqual([true, false]);
    // Unlisted sources rank last.
    const out2 = mediate([rec('mod', 'MODERATOR'), rec('meter', 'MEASURING_EQUIPMENT')], [], () => carrierFirst);
    expect(out2.incoming.map((o) => o.elected)).toEqual([false, true]);
  });

  it('refuses a bad policy naming the field', () => {
    expect(() => checkMediationPolicy({ precedence: ['CARRIER', 'CARRIER'] })).toThrow(/twice/);
    expect(() => checkMediationPolicy({ precedence: ['PHONE' as never] })).toThrow(/not a usage source/);
    expect(() => checkMediationPolicy({ answerToleranceSeconds: -1 })).toThrow(/answerToleranceSeconds must be a number from 0 to 3600/);
  });
});
