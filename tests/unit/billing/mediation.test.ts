import { checkMediationPolicy, DEFAULT_MEDIATION_POLICY, mediate, sameCall, type CallRecord } from '../../../billing-subgraph/src/domain';

const P = () => DEFAULT_MEDIATION_POLICY;
const T0 = Date.UTC(2026, 10, 3, 14, 0, 0);
const rec = (id: string, source: string, o: Partial<CallRecord> = {}): CallRecord => ({ id, source, buyerId: 'B', carrierId: 'C', destination: '442079460000', answerMs: T0, seconds: 120, ...o });

describe('sameCall', () => {
  it('correlates one buyer, carrier and called number within the tolerances', () => {
    const a = rec('a', 'CARRIER');
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { answerMs: T0 + 10_000, seconds: 125 }), P())).toBe(true);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { answerMs: T0 + 10_001 }), P())).toBe(false);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { seconds: 126 }), P())).toBe(false);
    // 2 % of a long call is more than 5 s
    expect(sameCall(rec('a', 'CARRIER', { seconds: 3600 }), rec('b', 'MEASURING_EQUIPMENT', { seconds: 3670 }), P())).toBe(true);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { destination: '442079460001' }), P())).toBe(false);
    expect(sameCall(a, rec('b', 'MEASURING_EQUIPMENT', { carrierId: 'C2' }), P())).toBe(false);
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
