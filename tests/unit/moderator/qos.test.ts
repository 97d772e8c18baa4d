import { AppError } from '../../../moderator-subgraph/src/domain/errors';
import { meetsQosRequirements, validateOfferedQos } from '../../../moderator-subgraph/src/domain/qos';

describe('meetsQosRequirements', () => {
  it('passes anything when nothing is required', () => {
    expect(meetsQosRequirements(undefined, undefined)).toEqual({ ok: true, reasons: [] });
    expect(meetsQosRequirements({}, { asrPercent: 10 })).toEqual({ ok: true, reasons: [] });
  });

  it('accepts values exactly at the limits', () => {
    expect(
      meetsQosRequirements(
        { minAsrPercent: 50, maxPddMs: 3000, maxLatencyMs: 150, maxJitterMs: 30, maxLossPercent: 1 },
        { asrPercent: 50, pddMs: 3000, latencyMs: 150, jitterMs: 30, lossPercent: 1 },
      ),
    ).toEqual({ ok: true, reasons: [] });
  });

  it('lists every failed or unstated requirement', () => {
    const r = meetsQosRequirements(
      { minAsrPercent: 50, maxPddMs: 3000, maxLatencyMs: 150, maxLossPercent: 1 },
      { asrPercent: 49.9, pddMs: 3001, lossPercent: 0.5 },
    );
    expect(r.ok).toBe(false);
    expect(r.reasons).toEqual([
      'asrPercent 49.9 < required 50',
      'pddMs 3001 > required 3000',
      'latencyMs not stated (required <= 150)',
    ]);
  });

  it('fails a bid that offers nothing when something is required', () => {
    expect(meetsQosRequirements({ maxJitterMs: 20 }, undefined)).toEqual({
      ok: false,
      reasons: ['jitterMs not stated (required <= 20)'],
    });
  });

  it('validates offered values with field names', () => {
    expect(validateOfferedQos({ asrPercent: 55, pddMs: 2000 }, 'input.offeredQos')).toEqual({ asrPercent: 55, pddMs: 2000 });
    let err: unknown;
    try {
      validateOfferedQos({ lossPercent: 120 }, 'input.offeredQos');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).field).toBe('input.offeredQos.lossPercent');
  });
});
