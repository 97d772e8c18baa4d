// Switch-local CDR times on DST nights: both readings of a repeated hour are kept and the row's
// own evidence decides (uniqueid epoch, end − billsec, start ≤ answer ≤ end, epoch columns);
// nothing decides → refused naming both UTC instants; a skipped wall time → refused.
import { epochOfAsteriskId, instantsOfWallTime, readCdrTime, resolveCallTimes } from '../../../billing-subgraph/src/domain/local-time';
import { zonedWallTimeToInstant, wallParts } from '../../../billing-subgraph/src/domain/zoned-time';
import { mapCdrRow } from '../../../billing-subgraph/src/domain/cdr-csv';
import { ASTERISK_MASTER_COLUMNS } from '../../../billing-subgraph/src/domain/cdr-formats';

const NY = 'America/New_York';
const BER = 'Europe/Berlin';
const ep = (iso: string) => Date.parse(iso) / 1000;
const iso = (d: Date | undefined) => d?.toISOString();
const ok = (r: ReturnType<typeof resolveCallTimes>) => {
  if (!r.ok) throw new Error(`expected resolved: ${JSON.stringify(r)}`);
  return { start: iso(r.start), answer: iso(r.answer), end: iso(r.end) };
};
const refused = (r: ReturnType<typeof resolveCallTimes>) => {
  if (r.ok || !('reason' in r)) throw new Error(`expected refused: ${JSON.stringify(r)}`);
  return r.reason;
};

describe('wall times in a zone', () => {
  it('one instant on ordinary days, two in the repeated hour, none in the skipped hour', () => {
    const w = (y: number, mo: number, d: number, h: number, mi: number) => ({ year: y, month: mo, day: d, hour: h, minute: mi, second: 0, millisecond: 0 });
    expect(instantsOfWallTime(w(2026, 11, 3, 9, 2), NY).map(iso)).toEqual(['2026-11-03T14:02:00.000Z']);
    expect(instantsOfWallTime(w(2026, 11, 1, 1, 30), NY).map(iso)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z']);
    expect(instantsOfWallTime(w(2026, 10, 25, 2, 30), BER).map(iso)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
    expect(instantsOfWallTime(w(2026, 3, 8, 2, 30), NY)).toEqual([]);
    expect(instantsOfWallTime(w(2026, 3, 29, 2, 30), BER)).toEqual([]);
    // The minutes either side of the changes are single.
    expect(instantsOfWallTime(w(2026, 11, 1, 0, 59), NY).map(iso)).toEqual(['2026-11-01T04:59:00.000Z']);
    expect(instantsOfWallTime(w(2026, 11, 1, 2, 0), NY).map(iso)).toEqual(['2026-11-01T07:00:00.000Z']);
    expect(instantsOfWallTime(w(2026, 3, 8, 3, 0), NY).map(iso)).toEqual(['2026-03-08T07:00:00.000Z']);
  });

  it('reads CDR time forms: epoch seconds, ISO with offset, zoneless in the zone or UTC', () => {
    expect(readCdrTime('1793510400', NY)).toEqual({ ok: true, candidates: [new Date('2026-11-01T05:20:00Z')], zoneless: false });
    expect(readCdrTime('2026-11-01T01:30:00-05:00', NY)).toEqual({ ok: true, candidates: [new Date('2026-11-01T06:30:00Z')], zoneless: false });
    expect(readCdrTime('2026-11-01 01:30:00', undefined)).toEqual({ ok: true, candidates: [new Date('2026-11-01T01:30:00Z')], zoneless: true });
    expect(readCdrTime('2026-11-03 15:20:06.250', 'Asia/Kolkata')).toEqual({ ok: true, candidates: [new Date('2026-11-03T09:50:06.250Z')], zoneless: true });
    expect(readCdrTime('yesterday', NY)).toMatchObject({ ok: false, invalid: true });
    expect(readCdrTime('2026-03-29 02:30:00', BER)).toEqual({ ok: false, invalid: false, reason: expect.stringMatching(/does not exist in Europe\/Berlin: the clocks went forward that night \(UTC\+01:00 → UTC\+02:00\)/) });
  });

  it('billing calendar wrapper keeps its behaviour (first occurrence; before-gap offset)', () => {
    const at = (wall: string, zone: string) => zonedWallTimeToInstant(Date.parse(`${wall}Z`), zone).toISOString();
    expect(at('2026-11-01T01:30:00', NY)).toBe('2026-11-01T05:30:00.000Z');
    expect(at('2026-03-08T02:30:00', NY)).toBe('2026-03-08T07:30:00.000Z');
    expect(at('2026-12-01T00:00:00', BER)).toBe('2026-11-30T23:00:00.000Z');
    expect(wallParts(new Date('2026-11-01T06:30:00Z'), NY)).toEqual({ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 });
  });
});

describe('resolveCallTimes: the repeated hour decided by the row', () => {
  const row = { zone: NY, start: '2026-11-01 01:20:00', answer: '2026-11-01 01:20:05', end: '2026-11-01 01:30:05', billsec: 600, total: 605 };

  it('Asterisk uniqueid epoch = channel creation = CDR start: first and second occurrence', () => {
    expect(ok(resolveCallTimes({ ...row, channelCreated: { epoch: ep('2026-11-01T05:20:00Z'), source: 'uniqueid' } }))).toEqual({ start: '2026-11-01T05:20:00.000Z', answer: '2026-11-01T05:20:05.000Z', end: '2026-11-01T05:30:05.000Z' });
    expect(ok(resolveCallTimes({ ...row, channelCreated: { epoch: ep('2026-11-01T06:20:00Z'), source: 'uniqueid' } }))).toEqual({ start: '2026-11-01T06:20:00.000Z', answer: '2026-11-01T06:20:05.000Z', end: '2026-11-01T06:30:05.000Z' });
  });

  it('linkedid is a lower bound: it decides only when it excludes the first occurrence', () => {
    expect(ok(resolveCallTimes({ ...row, chainCreated: { epoch: ep('2026-11-01T06:19:58Z'), source: 'linkedid' } })).answer).toBe('2026-11-01T06:20:05.000Z');
    expect(refused(resolveCallTimes({ ...row, chainCreated: { epoch: ep('2026-11-01T05:19:00Z'), source: 'linkedid' } }))).toMatch(/nothing in the row decides/);
  });

  it('epoch columns (FreeSWITCH answer_epoch) pin the instant', () => {
    expect(ok(resolveCallTimes({ ...row, epochs: { answer: ep('2026-11-01T06:20:05Z') } })).end).toBe('2026-11-01T06:30:05.000Z');
  });

  it('end − billsec decides when the end is outside the repeated hour (both occurrences)', () => {
    expect(ok(resolveCallTimes({ zone: NY, answer: '2026-11-01 01:40:00', end: '2026-11-01 02:05:00', billsec: 1500 }))).toEqual({ start: undefined, answer: '2026-11-01T06:40:00.000Z', end: '2026-11-01T07:05:00.000Z' });
    expect(ok(resolveCallTimes({ zone: NY, answer: '2026-11-01 01:40:00', end: '2026-11-01 02:05:00', billsec: 5100 })).answer).toBe('2026-11-01T05:40:00.000Z');
    // An answer before the change, the end in the repeated hour: the end's reading follows.
    expect(ok(resolveCallTimes({ zone: NY, answer: '2026-11-01 00:50:00', end: '2026-11-01 01:10:00', billsec: 1200 })).end).toBe('2026-11-01T05:10:00.000Z');
  });

  it('a call across the change keeps its true duration: answer 01:55 EDT, end 01:05 EST = 600 s', () => {
    expect(ok(resolveCallTimes({ zone: NY, start: '2026-11-01 01:54:50', answer: '2026-11-01 01:55:00', end: '2026-11-01 01:05:00', billsec: 600, total: 610 }))).toEqual({ start: '2026-11-01T05:54:50.000Z', answer: '2026-11-01T05:55:00.000Z', end: '2026-11-01T06:05:00.000Z' });
    expect(ok(resolveCallTimes({ zone: BER, answer: '2026-10-25 02:55:00', end: '2026-10-25 02:05:00', billsec: 600 }))).toMatchObject({ answer: '2026-10-25T00:55:00.000Z', end: '2026-10-25T01:05:00.000Z' });
  });

  it('a row nothing decides is refused naming both UTC instants and how to decide', () => {
    const reason = refused(resolveCallTimes(row));
    expect(reason).toContain('answer_time "2026-11-01 01:20:05" is 2026-11-01T05:20:05.000Z (UTC-04:00, first occurrence) or 2026-11-01T06:20:05.000Z (UTC-05:00, second occurrence)');
    expect(reason).toMatch(/nothing in the row decides.*write the time with its UTC offset/);
    expect(refused(resolveCallTimes({ zone: BER, answer: '2026-10-25 02:30:00', billsec: 60 }))).toContain('2026-10-25T00:30:00.000Z (UTC+02:00, first occurrence) or 2026-10-25T01:30:00.000Z (UTC+01:00, second occurrence)');
  });

  it('a uniqueid that fits no start reading (CDR reset) is not evidence; a contradicting epoch column refuses', () => {
    expect(refused(resolveCallTimes({ ...row, channelCreated: { epoch: ep('2026-11-01T05:10:00Z'), source: 'uniqueid' } }))).toMatch(/nothing in the row decides/);
    expect(refused(resolveCallTimes({ ...row, epochs: { answer: ep('2026-11-01T09:00:00Z') } }))).toMatch(/contradicts itself: answer_epoch/);
  });

  it('no consistent reading: refused with the candidates', () => {
    expect(refused(resolveCallTimes({ zone: NY, answer: '2026-11-01 01:20:00', end: '2026-11-01 01:30:00', billsec: 1000 }))).toMatch(/no reading of the row's times in America\/New_York is consistent.*end − answer = billsec 1000/);
  });

  it('the skipped hour is refused with the reason; an unreadable time says which field', () => {
    expect(refused(resolveCallTimes({ zone: NY, answer: '2026-03-08 02:30:00', end: '2026-03-08 03:40:00', billsec: 600 }))).toMatch(/^answer_time "2026-03-08 02:30:00" does not exist in America\/New_York/);
    expect(refused(resolveCallTimes({ zone: BER, answer: '2026-03-29 01:55:00', end: '2026-03-29 02:10:00', billsec: 900 }))).toMatch(/^end_time "2026-03-29 02:10:00" does not exist in Europe\/Berlin/);
    expect(resolveCallTimes({ zone: NY, answer: 'soon' })).toEqual({ ok: false, invalid: 'answer' });
  });

  it('ordinary times are returned as read, without consistency checks (the caller checks)', () => {
    expect(ok(resolveCallTimes({ zone: NY, start: '2026-11-03 09:02:05', answer: '2026-11-03 09:02:11', end: '2026-11-03 09:04:26', billsec: 999 }))).toEqual({ start: '2026-11-03T14:02:05.000Z', answer: '2026-11-03T14:02:11.000Z', end: '2026-11-03T14:04:26.000Z' });
  });

  it('reads the epoch of Asterisk ids (plain and with systemname), not of other ids', () => {
    expect(epochOfAsteriskId('1793510400.17')).toBe(1793510400);
    expect(epochOfAsteriskId('pbx-nyc-1-1793510400.17')).toBe(1793510400);
    expect(epochOfAsteriskId('9f1c2a7e-3b1d-4c55-9d7e-2a5f0c1e8b11')).toBeNull();
    expect(epochOfAsteriskId(undefined)).toBeNull();
  });
});

describe('mapCdrRow on a New York Master.csv row of the DST night', () => {
  const master = (fields: string[]) => Object.fromEntries(ASTERISK_MASTER_COLUMNS.map((c, i) => [c, fields[i] ?? '']));
  const line = (start: string, answer: string, end: string, duration: number, billsec: number, uniqueid: string) =>
    master(['acme', '12125550100', '011442079460000', 'from-internal', '"A" <12125550100>', 'PJSIP/1001-00000001', 'PJSIP/tav-trunk-00000002', 'Dial', 'PJSIP/011442079460000@tav-trunk', start, answer, end, String(duration), String(billsec), 'ANSWERED', 'BILLING', uniqueid, '']);
  const defaults = { source: 'MEASURING_EQUIPMENT' as const, buyerId: 'b', carrierId: 'c', timeZone: NY, dialling: { internationalPrefixes: ['011'], countryCode: '1', trunkPrefix: '1' } };

  it('the second 01:30 (uniqueid says EST) is stored at 06:30Z, the crossing call with 600 s', () => {
    const second = mapCdrRow(line('2026-11-01 01:29:55', '2026-11-01 01:30:00', '2026-11-01 01:40:00', 605, 600, `${ep('2026-11-01T06:29:55Z')}.7`), 1, defaults);
    expect(second).toMatchObject({ ok: true, record: { intervalStart: '2026-11-01T06:30:00.000Z', intervalEnd: '2026-11-01T06:40:00.000Z', quantity: '600' } });
    const crossing = mapCdrRow(line('2026-11-01 01:54:50', '2026-11-01 01:55:00', '2026-11-01 01:05:00', 610, 600, 'x-call'), 2, defaults);
    expect(crossing).toMatchObject({ ok: true, record: { intervalStart: '2026-11-01T05:55:00.000Z', intervalEnd: '2026-11-01T06:05:00.000Z', quantity: '600' } });
    const undecided = mapCdrRow(line('2026-11-01 01:29:55', '2026-11-01 01:30:00', '2026-11-01 01:40:00', 605, 600, 'x-call-2'), 3, defaults);
    expect(undecided).toMatchObject({ ok: false, skipped: false, reason: expect.stringContaining('2026-11-01T05:30:00.000Z (UTC-04:00, first occurrence) or 2026-11-01T06:30:00.000Z (UTC-05:00, second occurrence)') });
    const missing = mapCdrRow(line('2026-03-08 02:29:55', '2026-03-08 02:30:00', '2026-03-08 03:40:00', 605, 600, `${ep('2026-03-08T07:29:55Z')}.9`), 4, defaults);
    expect(missing).toMatchObject({ ok: false, skipped: false, reason: expect.stringMatching(/^answer_time "2026-03-08 02:30:00" does not exist in America\/New_York/) });
  });
});

describe('mapCdrRow on export layouts of the DST night', () => {
  it('FreePBX export (calldate, no answer column): the uniqueid places calldate, answer = calldate + duration − billsec', () => {
    const row = { calldate: '2026-11-01 01:30:00', src: '12125550100', dst: '011442079460000', duration: '65', billsec: '60', disposition: 'ANSWERED', uniqueid: `${ep('2026-11-01T06:30:00Z')}.5` };
    const defaults = { source: 'MEASURING_EQUIPMENT' as const, buyerId: 'b', carrierId: 'c', timeZone: NY, dialling: { internationalPrefixes: ['011'], countryCode: '1', trunkPrefix: '1' } };
    expect(mapCdrRow(row, 2, defaults)).toMatchObject({ ok: true, record: { intervalStart: '2026-11-01T06:30:05.000Z', intervalEnd: '2026-11-01T06:31:05.000Z', quantity: '60' } });
    expect(mapCdrRow({ ...row, uniqueid: 'no-epoch' }, 2, defaults)).toMatchObject({ ok: false, skipped: false, reason: expect.stringContaining('start "2026-11-01 01:30:00" is 2026-11-01T05:30:00.000Z (UTC-04:00, first occurrence) or 2026-11-01T06:30:00.000Z (UTC-05:00, second occurrence)') });
  });

  it('FreeSWITCH template with epoch columns: answer_epoch decides', () => {
    const row = { destination_number: '00442079460000', answer_stamp: '2026-10-25 02:30:00', end_stamp: '2026-10-25 02:31:00', billsec: '60', uuid: 'a-b', answer_epoch: String(ep('2026-10-25T01:30:00Z')) };
    expect(mapCdrRow(row, 2, { source: 'MEASURING_EQUIPMENT', buyerId: 'b', carrierId: 'c', timeZone: BER })).toMatchObject({ ok: true, record: { intervalStart: '2026-10-25T01:30:00.000Z' } });
  });
});
