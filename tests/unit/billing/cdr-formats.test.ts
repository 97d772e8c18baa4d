import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { detectLayout, looksLikeHeader, mapCdrRow, type CdrFormat, type CdrDefaults } from '../../../billing-subgraph/src/domain';
import { diallingPlan, normalizeDialled } from '../../../billing-subgraph/src/domain/dialling';
import { isTimeZone, zonedWallTimeToInstant } from '../../../billing-subgraph/src/domain/zoned-time';

const FIXTURES = path.join(__dirname, '../../fixtures/cdr');

/** Reads a fixture as the importer does: detect from the first record, then name each row's fields. */
function importFixture(file: string, defaults: Omit<CdrDefaults, 'source'>, format?: CdrFormat) {
  const records = parse(readFileSync(path.join(FIXTURES, file)), { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  const d = detectLayout(records[0].record, format);
  if (!d.ok) throw new Error(d.reason);
  const columns = d.layout.columns ?? records[0].record;
  const rows = d.layout.header ? records.slice(1) : records;
  const mapped = rows.map(({ record, info }) => mapCdrRow(Object.fromEntries(columns.map((c, i) => [c, record[i] ?? ''])), info.lines, { source: 'MEASURING_EQUIPMENT', buyerId: 'B', carrierId: 'C', ...defaults }));
  return { layout: d.layout, mapped, ok: mapped.flatMap((m) => (m.ok ? [m.record] : [])), skipped: mapped.filter((m) => !m.ok && m.skipped).length, rejected: mapped.filter((m) => !m.ok && !m.skipped) };
}

describe('switch CDR files as written', () => {
  it('Asterisk Master.csv (no header, 18 columns, New York local time, 011 dialling)', () => {
    const r = importFixture('asterisk-master.csv', { timeZone: 'America/New_York', dialling: diallingPlan({ countryCode: '1' }) });
    expect(r.layout).toMatchObject({ format: 'asterisk', header: false });
    expect(r.layout.description).toMatch(/Asterisk cdr_csv Master.csv.*detected/);
    expect(r.skipped).toBe(4); // NO ANSWER, BUSY, FAILED, and the call to extension 2001 (no billable destination)
    expect(r.mapped.filter((m) => !m.ok && m.category)).toEqual([expect.objectContaining({ category: 'internal extension', reason: 'internal extension 2001: not a billable destination (shorter than --min-destination-digits 8)' })]);
    expect(r.rejected).toEqual([]);
    expect(r.ok.map((x) => [x.recordId, x.destination, x.intervalStart, x.quantity])).toEqual([
      ['1793714525.1', '442079460000', '2026-11-03T14:02:11.000Z', '135'],
      ['1793719800.8', '442079460004', '2026-11-03T15:30:09.000Z', '600'],
    ]);
  });

  it('Asterisk Master.csv with newcdrcolumns (21 columns) reads the same calls', () => {
    const a = importFixture('asterisk-master.csv', { timeZone: 'America/New_York', dialling: diallingPlan({ countryCode: '1' }) });
    const b = importFixture('asterisk-master-newcdrcolumns.csv', { timeZone: 'America/New_York', dialling: diallingPlan({ countryCode: '1' }) });
    expect(b.layout.columns).toHaveLength(21);
    expect(b.ok).toEqual(a.ok);
  });

  it('FreePBX / cdr_adaptive_odbc export with a header: answer = calldate + duration - billsec, national numbers with --country-code', () => {
    const r = importFixture('freepbx-cdr-export.csv', { timeZone: 'Europe/London', dialling: diallingPlan({ countryCode: '44' }) });
    expect(r.layout).toMatchObject({ format: 'asterisk-custom', header: true });
    expect(r.skipped).toBe(2);
    expect(r.ok.map((x) => [x.recordId, x.destination, x.intervalStart, x.intervalEnd, x.quantity])).toEqual([
      ['1793714400.21', '442079460010', '2026-11-03T14:00:05.000Z', '2026-11-03T14:01:35.000Z', '90'],
      ['1793715000.24', '442079460013', '2026-11-03T14:10:07.000Z', '2026-11-03T14:15:07.000Z', '300'],
    ]);
  });

  it('FreeSWITCH mod_cdr_csv default template without a header (Berlin local time)', () => {
    const r = importFixture('freeswitch-cdr.csv', { timeZone: 'Europe/Berlin' });
    expect(r.layout).toMatchObject({ format: 'freeswitch', header: false });
    expect(r.skipped).toBe(2);
    expect(r.ok.map((x) => [x.recordId, x.destination, x.intervalStart, x.quantity])).toEqual([
      ['3f2a6c1e-8b4d-4f7a-9e21-0c5d7b9a1e01', '442079460020', '2026-11-03T14:20:06.000Z', '120'],
      ['3f2a6c1e-8b4d-4f7a-9e21-0c5d7b9a1e03', '442079460022', '2026-11-03T14:30:02.000Z', '60'],
    ]);
  });

  it('FreeSWITCH with a header row of its variable names, and the generic layout', () => {
    const fs = importFixture('freeswitch-cdr-header.csv', {});
    expect(fs.layout).toMatchObject({ format: 'freeswitch', header: true });
    expect(fs.ok.map((x) => [x.destination, x.quantity])).toEqual([['442079460030', '180'], ['442079460032', '45']]);
    const g = importFixture('generic-cdr.csv', {});
    expect(g.layout).toMatchObject({ format: 'generic', header: true });
    expect(g.ok.map((x) => [x.recordId, x.equipmentId, x.quantity])).toEqual([['gen-0001', 'msc-7', '90'], ['gen-0003', 'msc-7', '120']]);
    expect(g.skipped).toBe(1);
  });

  it('the first Asterisk call is a call, never a header (the old importer took it as one)', () => {
    const first = parse(readFileSync(path.join(FIXTURES, 'asterisk-master.csv')), { to_line: 1 })[0] as string[];
    expect(looksLikeHeader(first)).toBe(false);
  });
});

describe('detectLayout', () => {
  const fsRow = parse(readFileSync(path.join(FIXTURES, 'freeswitch-cdr.csv')), { to_line: 1 })[0] as string[];
  it('an explicit --format wins or says why it cannot apply', () => {
    expect(detectLayout(fsRow, 'freeswitch')).toMatchObject({ ok: true, layout: { format: 'freeswitch', description: expect.stringMatching(/--format/) } });
    expect(detectLayout(fsRow, 'asterisk')).toEqual({ ok: false, reason: expect.stringMatching(/first row has 15 columns, Master.csv has 16 to 21/) });
    expect(detectLayout(fsRow, 'generic')).toEqual({ ok: false, reason: expect.stringMatching(/needs a header row/) });
  });
  it('an unrecognisable headerless file asks for --format instead of guessing', () => {
    expect(detectLayout(['x1', '2026-11-03 10:00:00', '4420794600', '30'])).toEqual({ ok: false, reason: expect.stringMatching(/cannot tell the file's format.*--format <layout>.*--mapping FILE/) });
  });
});

describe('normalizeDialled', () => {
  it.each([
    ['011442079460000', { countryCode: '1' }, '442079460000'],
    ['011 44 20 7946 0000', { internationalPrefix: '011' }, '442079460000'],
    ['2125550100', { countryCode: '1' }, '12125550100'],
    ['12125550100', { countryCode: '1' }, '12125550100'],
    ['00442079460000', {}, '442079460000'],
    ['+44 (20) 7946-0000', {}, '442079460000'],
    ['020 7946 0000', { countryCode: '44' }, '442079460000'],
    ['0033123456789', { countryCode: '44' }, '33123456789'],
    ['sip:+4930123456@gw.example', {}, '4930123456'],
    ['0611234567', { countryCode: '31', internationalPrefix: '00' }, '31611234567'],
  ])('%s with %j → %s', (raw, opts, digits) => {
    expect(normalizeDialled(raw, diallingPlan(opts))).toEqual({ ok: true, digits });
  });
  it('refuses what it cannot place, saying which option helps', () => {
    expect(normalizeDialled('011442079460000')).toEqual({ ok: false, reason: expect.stringMatching(/--international-prefix 011 or --country-code 1/) });
    expect(normalizeDialled('020 7946 0000')).toEqual({ ok: false, reason: expect.stringMatching(/national number needs --country-code/) });
    expect(normalizeDialled('s')).toEqual({ ok: false, reason: 'called_number "s" is not a telephone number' });
    expect(() => diallingPlan({ countryCode: 'UK' })).toThrow(/1 to 3 digits/);
    expect(() => diallingPlan({ internationalPrefix: '+' })).toThrow(/2 to 4 digits/);
  });
});

describe('zonedWallTimeToInstant', () => {
  const at = (wall: string, zone: string) => zonedWallTimeToInstant(Date.parse(`${wall}Z`), zone).toISOString();
  it('reads a switch clock in its zone, across daylight saving changes', () => {
    expect(at('2026-11-03T09:02:11', 'America/New_York')).toBe('2026-11-03T14:02:11.000Z');
    expect(at('2026-07-03T09:02:11', 'America/New_York')).toBe('2026-07-03T13:02:11.000Z');
    expect(at('2026-11-03T15:20:06', 'Europe/Berlin')).toBe('2026-11-03T14:20:06.000Z');
    expect(at('2026-11-03T15:20:06.250', 'Asia/Kolkata')).toBe('2026-11-03T09:50:06.250Z');
    // 01:30 happens twice on 2026-11-01 in New York: the first (EDT) occurrence.
    expect(at('2026-11-01T01:30:00', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
    // 02:30 never happens on 2026-03-08 in New York: read with the offset before the gap.
    expect(at('2026-03-08T02:30:00', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
    expect(at('2026-11-03T09:02:11', 'UTC')).toBe('2026-11-03T09:02:11.000Z');
  });
  it('knows real zones only', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
