import { checkCycleDay, checkTimeZone, defaultProfile, dueDate, formatLocal, localDate, periodContaining, periodOfLabel } from '../../../billing-subgraph/src/domain';

const NY = { timeZone: 'America/New_York', cycleDay: 1, paymentTermsDays: 30 };

describe('billing periods follow the party profile', () => {
  it('a New York buyer\'s November is midnight to midnight Eastern, across the end of daylight saving time', () => {
    const p = periodContaining(NY, new Date('2026-11-15T12:00:00Z'));
    // Nov 1 00:00 EDT (UTC-4) to Dec 1 00:00 EST (UTC-5): DST ends on Nov 1, 2026.
    expect(p.start.toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(p.end.toISOString()).toBe('2026-12-01T05:00:00.000Z');
    expect(p.label).toBe('2026-11');
    expect(formatLocal(p.start, NY.timeZone)).toBe('Nov 1, 2026, 12:00 AM EDT');
  });

  it('an instant belongs to the period its local date is in, not its UTC date', () => {
    // 03:59:59Z on Nov 1 is still Oct 31 in New York.
    expect(periodContaining(NY, new Date('2026-11-01T03:59:59.999Z')).label).toBe('2026-10');
    expect(periodContaining(NY, new Date('2026-11-01T04:00:00Z')).label).toBe('2026-11');
    // 02:00Z on Dec 1 is Nov 30 in New York.
    expect(periodContaining(NY, new Date('2026-12-01T02:00:00Z')).label).toBe('2026-11');
  });

  it('a cycle day other than 1 starts the period on that day and labels it by its first month', () => {
    const p = { timeZone: 'Asia/Kolkata', cycleDay: 15 };
    const jan10 = periodContaining(p, new Date('2026-01-10T00:00:00Z'));
    expect(jan10.label).toBe('2025-12');
    expect(jan10.start.toISOString()).toBe('2025-12-14T18:30:00.000Z');
    expect(jan10.end.toISOString()).toBe('2026-01-14T18:30:00.000Z');
    expect(periodOfLabel(p, '2025-12')).toEqual(jan10);
  });

  it('the default profile is the UTC calendar month', () => {
    const d = defaultProfile('buyer-x', 'BUYER');
    const p = periodContaining(d, new Date('2026-02-28T23:59:59Z'));
    expect([p.start.toISOString(), p.end.toISOString(), p.label]).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-02']);
  });

  it('the due date is the end of the day paymentTermsDays after the issue date where the buyer is', () => {
    // Issued Nov 30, 10 PM in New York (03:00Z Dec 1): due Dec 30 New York time, 23:59:59.999 EST.
    const due = dueDate(NY, new Date('2026-12-01T03:00:00Z'));
    expect(due.toISOString()).toBe('2026-12-31T04:59:59.999Z');
    expect(localDate(due, NY.timeZone)).toBe('2026-12-30');
  });

  it('refuses zones the runtime does not know and cycle days some months lack', () => {
    expect(() => checkTimeZone('profile.timeZone', 'Mars/Olympus')).toThrow(/IANA time zone/);
    expect(checkTimeZone('profile.timeZone', 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(() => checkCycleDay('profile.cycleDay', 29)).toThrow(/1 to 28/);
    expect(() => periodOfLabel(NY, '2026-13')).toThrow(/billing month/);
  });
});
