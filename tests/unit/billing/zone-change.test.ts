import { periodContaining, periodContainingAt, periodOfLabelAt, rulesAt } from '../../../billing-subgraph/src/domain';

// A billed party moves from UTC months to New York (or to another cycle day) from a period start
// on (issue 21 item 6): earlier periods stay as they were; the first new period starts at the change.
const FROM = new Date('2027-01-01T00:00:00Z');
const utcToNy = { timeZone: 'America/New_York', cycleDay: 1, previousRules: [{ timeZone: 'UTC', cycleDay: 1, until: FROM }] };
const iso = (p: { start: Date; end: Date; label: string }) => [p.start.toISOString(), p.end.toISOString(), p.label];

describe('zone and cycle day changed from a period boundary', () => {
  it('keeps the periods before the change and starts the first new one at the change, under the label the old rules gave it', () => {
    expect(iso(periodContainingAt(utcToNy, new Date('2026-12-31T23:59:59Z')))).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '2026-12']);
    expect(iso(periodContainingAt(utcToNy, new Date('2027-01-01T02:00:00Z')))).toEqual(['2027-01-01T00:00:00.000Z', '2027-02-01T05:00:00.000Z', '2027-01']);
    // Jan 31 22:00 in New York is still January there
    expect(iso(periodContainingAt(utcToNy, new Date('2027-02-01T03:00:00Z')))).toEqual(['2027-01-01T00:00:00.000Z', '2027-02-01T05:00:00.000Z', '2027-01']);
    expect(iso(periodContainingAt(utcToNy, new Date('2027-02-01T05:00:00Z')))).toEqual(['2027-02-01T05:00:00.000Z', '2027-03-01T05:00:00.000Z', '2027-02']);
    expect(iso(periodOfLabelAt(utcToNy, '2026-12'))).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '2026-12']);
    expect(iso(periodOfLabelAt(utcToNy, '2027-01'))).toEqual(['2027-01-01T00:00:00.000Z', '2027-02-01T05:00:00.000Z', '2027-01']);
    expect(iso(periodOfLabelAt(utcToNy, '2027-02'))).toEqual(['2027-02-01T05:00:00.000Z', '2027-03-01T05:00:00.000Z', '2027-02']);
    expect([rulesAt(utcToNy, new Date('2026-12-15T00:00:00Z')).timeZone, rulesAt(utcToNy, FROM).timeZone]).toEqual(['UTC', 'America/New_York']);
  });

  it('a zone east of the old one ends the first period early; a new cycle day makes it a transition period up to that day', () => {
    const toBerlin = { timeZone: 'Europe/Berlin', cycleDay: 1, previousRules: [{ timeZone: 'UTC', cycleDay: 1, until: FROM }] };
    expect(iso(periodOfLabelAt(toBerlin, '2027-01'))).toEqual(['2027-01-01T00:00:00.000Z', '2027-01-31T23:00:00.000Z', '2027-01']);
    expect(iso(periodContainingAt(toBerlin, new Date('2027-01-31T23:30:00Z')))).toEqual(['2027-01-31T23:00:00.000Z', '2027-02-28T23:00:00.000Z', '2027-02']);
    const toDay15 = { timeZone: 'UTC', cycleDay: 15, previousRules: [{ timeZone: 'UTC', cycleDay: 1, until: FROM }] };
    expect(iso(periodOfLabelAt(toDay15, '2027-01'))).toEqual(['2027-01-01T00:00:00.000Z', '2027-02-15T00:00:00.000Z', '2027-01']);
    expect(iso(periodContainingAt(toDay15, new Date('2027-02-20T00:00:00Z')))).toEqual(['2027-02-15T00:00:00.000Z', '2027-03-15T00:00:00.000Z', '2027-02']);
  });

  it('every instant lies in exactly the period its label names, across two changes', () => {
    const two = { timeZone: 'Asia/Tokyo', cycleDay: 1, previousRules: [{ timeZone: 'UTC', cycleDay: 1, until: FROM }, { timeZone: 'America/New_York', cycleDay: 1, until: new Date('2027-03-01T05:00:00Z') }] };
    for (let t = Date.parse('2026-11-20T00:00:00Z'); t < Date.parse('2027-06-01T00:00:00Z'); t += 7 * 3600_000) {
      const p = periodContainingAt(two, new Date(t));
      expect(p.start.getTime()).toBeLessThanOrEqual(t);
      expect(p.end.getTime()).toBeGreaterThan(t);
      expect(iso(periodOfLabelAt(two, p.label))).toEqual(iso(p));
    }
    // without previous rules: the plain periods
    expect(iso(periodContainingAt({ timeZone: 'UTC', cycleDay: 1 }, FROM))).toEqual(iso(periodContaining({ timeZone: 'UTC', cycleDay: 1 }, FROM)));
  });
});
