// Routing attempts (CONTRACT §3) and the ASR/ACD the reconciliation shows from them.
import { AppError, checkRouteAttemptSlots, trafficFigures } from '../../../billing-subgraph/src/domain';

const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return e.field;
    throw e;
  }
  return null;
};

describe('checkRouteAttemptSlots', () => {
  it('accepts 5-minute boundaries and merges repeats of one slot by their maximum', () => {
    const slots = checkRouteAttemptSlots([
      { selectionId: 'sel-1', slotStart: '2026-11-03T10:05:00Z', attempts: 4 },
      { selectionId: 'sel-1', slotStart: '2026-11-03T11:05:00+01:00', attempts: 9 },
      { selectionId: 'sel-1', slotStart: '2026-11-03T10:05:00.000Z', attempts: 7 },
      { selectionId: 'sel-2', slotStart: '2026-11-03T10:05:00Z', attempts: 0 },
    ]);
    expect(slots.map((s) => [s.selectionId, s.slotStart.toISOString(), s.attempts])).toEqual([
      ['sel-1', '2026-11-03T10:05:00.000Z', 9],
      ['sel-2', '2026-11-03T10:05:00.000Z', 0],
    ]);
  });

  it('refuses a slot off the 5-minute grid, a negative or fractional count, a bad id, naming the slot', () => {
    const ok = { selectionId: 's', slotStart: '2026-11-03T10:05:00Z', attempts: 1 };
    expect(fieldOf(() => checkRouteAttemptSlots([ok, { ...ok, slotStart: '2026-11-03T10:06:00Z' }]))).toBe('slots[1].slotStart');
    expect(fieldOf(() => checkRouteAttemptSlots([{ ...ok, slotStart: '2026-11-03T10:05:00.001Z' }]))).toBe('slots[0].slotStart');
    expect(fieldOf(() => checkRouteAttemptSlots([{ ...ok, slotStart: '2026-11-03T10:05:00' }]))).toBe('slots[0].slotStart');
    expect(fieldOf(() => checkRouteAttemptSlots([{ ...ok, attempts: -1 }]))).toBe('slots[0].attempts');
    expect(fieldOf(() => checkRouteAttemptSlots([{ ...ok, attempts: 1.5 }]))).toBe('slots[0].attempts');
    expect(fieldOf(() => checkRouteAttemptSlots([{ ...ok, selectionId: '$gt' }]))).toBe('slots[0].selectionId');
    expect(fieldOf(() => checkRouteAttemptSlots([{ ...ok, selectionId: '' }]))).toBe('slots[0].selectionId');
  });

  it('takes at most 1,000 slots per call', () => {
    const slot = (i: number) => ({ selectionId: 's', slotStart: new Date(Date.UTC(2026, 10, 1) + i * 300_000).toISOString(), attempts: i });
    expect(checkRouteAttemptSlots(Array.from({ length: 1000 }, (_, i) => slot(i)))).toHaveLength(1000);
    expect(fieldOf(() => checkRouteAttemptSlots(Array.from({ length: 1001 }, (_, i) => slot(i))))).toBe('slots');
  });
});

describe('trafficFigures (ASR, ACD)', () => {
  const period = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
  const slot = (iso: string, attempts: number) => ({ slotStart: new Date(iso), attempts });

  it('counts the attempts of slots starting in the period, the answered calls and their average exact duration', () => {
    const slots = [slot('2026-10-31T23:55:00Z', 100), slot('2026-11-01T00:00:00Z', 4), slot('2026-11-15T12:30:00Z', 3), slot('2026-12-01T00:00:00Z', 50)];
    expect(trafficFigures(slots, period, ['65.432', '100', '30.5'])).toEqual({ attempts: 7, answered: 3, asr: '0.4286', acd: '65.3' });
  });

  it('ASR (2 of 8, 1 of 3, 4 of 6) and ACD (10.05 s and 10.1 s → 10.075) round half-up', () => {
    expect(trafficFigures([slot('2026-11-02T00:00:00Z', 8)], period, ['10.05', '10.1'])).toMatchObject({ asr: '0.2500', acd: '10.1' });
    expect(trafficFigures([slot('2026-11-02T00:00:00Z', 3)], period, ['1'])).toMatchObject({ asr: '0.3333' });
    expect(trafficFigures([slot('2026-11-02T00:00:00Z', 6)], period, ['1', '1', '1', '1'])).toMatchObject({ asr: '0.6667' });
  });

  it('no attempts: ASR null (never a division by zero); no answered call: ACD null', () => {
    expect(trafficFigures([], period, ['60'])).toEqual({ attempts: 0, answered: 1, asr: null, acd: '60.0' });
    expect(trafficFigures([slot('2026-11-02T00:00:00Z', 5)], period, [])).toEqual({ attempts: 5, answered: 0, asr: '0.0000', acd: null });
  });
});
