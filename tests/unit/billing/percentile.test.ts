import { percentile95OfSlots, percentileBillRecords, unsampledPercentile, type EconomicIncentive, type SlotSample } from '../../../billing-subgraph/src/domain';

const T0 = Date.parse('2026-08-03T00:00:00Z');
const MIN = 60_000;
const at = (slot: number, offsetMs: number) => T0 + slot * 5 * MIN + offsetMs;
const sample = (atMs: number, mbps: string, meter: string): SlotSample => ({ at: new Date(atMs), mbps, meter });

/*
 * Two meters (interfaces) of one buyer–carrier pair over a 2-hour window: 24 five-minute slots.
 *   meter A: 10 Mbps in slots 0..19, each sampled 1 min into the slot (not on the boundary);
 *            slot 11 reported twice (10 and again 10): counted once.
 *   meter B: 5 Mbps in slots 0..9 (sampled 2.5 min in), 50 Mbps in slot 10, 30 Mbps in slot 11.
 *   slots 20..23: nobody reported: zero.
 * Per slot: 0..9 → 15, 10 → 60, 11 → 40, 12..19 → 10, 20..23 → 0.
 * Sorted high to low: 60, 40, 15 ×10, 10 ×8, 0 ×4 (24 values); 5 % of 24 = 1.2 → drop 1 (the 60);
 * the 95th percentile is 40 Mbps. Counting A's duplicate twice would give 50; per-sample
 * (unsummed) ranking would give 30; ignoring the missing slots would still drop one: 40.
 */
function twoMeters(): SlotSample[] {
  const s: SlotSample[] = [];
  for (let slot = 0; slot < 20; slot++) s.push(sample(at(slot, MIN), '10', 'meter-A'));
  s.push(sample(at(11, 3 * MIN), '10', 'meter-A'));
  for (let slot = 0; slot < 10; slot++) s.push(sample(at(slot, 2.5 * MIN), '5', 'meter-B'));
  s.push(sample(at(10, 2.5 * MIN), '50', 'meter-B'));
  s.push(sample(at(11, 4 * MIN), '30', 'meter-B'));
  return s;
}

describe('95th percentile as burstable transit is billed (issue 14, item 2)', () => {
  const window = { start: new Date(T0), end: new Date(T0 + 120 * MIN) };

  it('aligns to 5-minute slots, sums the meters, counts a duplicate once, counts missing slots as zero: a two-meter case by hand', () => {
    expect(percentile95OfSlots(twoMeters(), window)).toEqual({
      p95Mbps: '40',
      slots: 24,
      slotsWithSamples: 20,
      missingSlots: 4,
      droppedSlots: 1,
      meters: 2,
      duplicateSamples: 1,
      outsideWindow: 0,
    });
  });

  it('keeps the highest of a meter\'s duplicate samples whatever their order, and ignores samples of another period', () => {
    const s = [sample(at(0, 0), '7', 'm'), sample(at(0, 4 * MIN), '9', 'm'), sample(T0 - 1, '99', 'm'), sample(T0 + 120 * MIN, '99', 'm')];
    const r = percentile95OfSlots(s, { start: new Date(T0), end: new Date(T0 + 5 * MIN) });
    expect(r).toMatchObject({ p95Mbps: '9', slots: 1, duplicateSamples: 1, outsideWindow: 2 });
    expect(percentile95OfSlots([...s].reverse(), { start: new Date(T0), end: new Date(T0 + 5 * MIN) }).p95Mbps).toBe('9');
  });

  it('a month with samples in only a few slots bills the zero of its missing slots', () => {
    const month = { start: new Date('2026-08-01T00:00:00Z'), end: new Date('2026-09-01T00:00:00Z') };
    const r = percentile95OfSlots(twoMeters(), month);
    expect(r).toMatchObject({ p95Mbps: '0', slots: 8928, missingSlots: 8908, droppedSlots: 446 });
  });

  it('prices the percentile and says on the bill how it was measured', () => {
    const incentive: EconomicIncentive = { currency: 'USD', ratePerUnit: '2', dataChargeModel: 'PERCENTILE_95' };
    const [line] = percentileBillRecords(incentive, twoMeters(), window, null);
    expect(line).toMatchObject({ unit: 'MBPS_P95', quantity: '40', ratePerUnit: '2', amount: '80.000000' });
    expect(line.description).toBe('95th percentile 40 Mbps of 24 five-minute slots (4 without samples counted as zero, 1 highest dropped; 2 meters summed per slot, 1 duplicate sample counted once), tier 0 at 2 USD/Mbps');
  });

  it('a sample that is not a date, a decimal and a meter is refused naming its position', () => {
    const bad = [sample(at(0, 0), '7', 'm'), { at: new Date('x'), mbps: '1', meter: 'm' }];
    expect(() => percentile95OfSlots(bad, window)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'samples[1]', message: expect.stringMatching(/is not a slot sample/) }));
    expect(() => percentile95OfSlots([sample(at(0, 0), 'ten', 'm')], window)).toThrow(expect.objectContaining({ field: 'samples[0]' }));
  });

  it('a record without samples under a PERCENTILE_95 selection is refused with its reason', () => {
    const sel = { serviceType: 'DATA', incentive: { dataChargeModel: 'PERCENTILE_95' } };
    expect(unsampledPercentile({ serviceType: 'DATA' }, sel)).toMatch(/volumeSamples are required/);
    expect(unsampledPercentile({ serviceType: 'DATA', volumeSamples: [] }, sel)).toMatch(/volumeSamples are required/);
    expect(unsampledPercentile({ serviceType: 'DATA', volumeSamples: [{}] }, sel)).toBeNull();
    expect(unsampledPercentile({ serviceType: 'DATA' }, { serviceType: 'DATA', incentive: { dataChargeModel: 'VOLUME_GB' } })).toBeNull();
  });
});
