// Every layout preset on its fixture, read as the importer reads it: the layout it is detected
// as, then each row's mapped usage (called number, answer instant, duration, record id).
import path from 'node:path';
import { readRows } from '../../../billing-subgraph/src/cli/cdr-reader';
import { resolveLayout } from '../../../billing-subgraph/src/cli/ingest-layout';
import { mapRow } from '../../../billing-subgraph/src/cli/ingest';
import { diallingPlan, type CdrDefaults, type CdrMappingSpec } from '../../../billing-subgraph/src/domain';

const FIXTURES = path.join(__dirname, '../../fixtures/cdr');

async function importFixture(file: string, defaults: Omit<CdrDefaults, 'source'> = {}, format?: string, mapping?: CdrMappingSpec) {
  const layout = resolveLayout(path.join(FIXTURES, file), format, mapping);
  const mapped = [];
  let ignored = 0;
  for await (const row of readRows(path.join(FIXTURES, file), layout.reading, { onIgnored: () => ignored++ })) {
    mapped.push(mapRow(row, layout, { source: 'MEASURING_EQUIPMENT', buyerId: 'B', carrierId: 'C', ...defaults }));
  }
  return {
    layout,
    ignored,
    ok: mapped.flatMap((m) => (m.ok ? [[m.record.recordId, m.record.destination, m.record.intervalStart, m.record.quantity]] : [])),
    skipped: mapped.filter((m) => !m.ok && m.skipped).map((m) => !m.ok && m.reason),
    rejected: mapped.filter((m) => !m.ok && !m.skipped).map((m) => !m.ok && `line ${m.lineNumber}: ${m.reason}`),
  };
}

const derived = expect.stringMatching(/^cdr-[0-9a-f]{64}$/);

describe('CDR layout presets on files as the products write them', () => {
  it("Asterisk Master.csv with cdr_csv's defaults (16 columns: no uniqueid, no userfield)", async () => {
    const r = await importFixture('asterisk-master-defaults.csv', { timeZone: 'America/New_York', dialling: diallingPlan({ countryCode: '1' }) });
    expect(r.layout).toMatchObject({ format: 'asterisk', header: false });
    expect(r.layout.columns).toHaveLength(16);
    expect(r.ok).toEqual([
      [derived, '442079460100', '2026-11-03T14:02:11.000Z', '135'],
      [derived, '442079460102', '2026-11-03T15:30:09.000Z', '600'],
    ]);
    expect(r.skipped).toEqual(['disposition NO ANSWER: not answered, nothing to bill']);
    expect(r.rejected).toEqual([]);
  });

  it('asterisk-cdr-custom: the sample mapping (no header, clid first, 19 columns)', async () => {
    const r = await importFixture('asterisk-cdr-custom.csv', { timeZone: 'Europe/London' });
    expect(r.layout.format).toBe('asterisk-cdr-custom');
    expect(r.ok).toEqual([
      ['1793714400.21', '442079460110', '2026-11-03T14:00:05.000Z', '90'],
      ['1793715000.24', '442079460112', '2026-11-03T14:10:07.000Z', '300'],
    ]);
    expect(r.skipped).toHaveLength(1);
  });

  it('freepbx-report: quotes inside fields not doubled; answer = calldate + duration - billsec', async () => {
    const r = await importFixture('freepbx-report.csv', { timeZone: 'Europe/London', dialling: diallingPlan({ countryCode: '44' }) });
    expect(r.layout.format).toBe('freepbx-report');
    expect(r.ok).toEqual([
      ['1793714400.31', '442079460120', '2026-11-03T14:00:05.000Z', '90'],
      ['1793715000.34', '442079460122', '2026-11-03T14:10:07.000Z', '300'],
    ]);
    expect(r.skipped).toHaveLength(1);
    expect(r.rejected).toEqual([]);
  });

  it("freeswitch-sql: INSERT INTO cdr VALUES (...); lines of the default sql template", async () => {
    const r = await importFixture('freeswitch-sql.csv', { timeZone: 'Europe/Berlin' });
    expect(r.layout.format).toBe('freeswitch-sql');
    expect(r.ok).toEqual([
      ['3f2a6c1e-8b4d-4f7a-9e21-0c5d7b9a1e31', '442079460130', '2026-11-03T14:20:06.000Z', '120'],
      ['3f2a6c1e-8b4d-4f7a-9e21-0c5d7b9a1e33', '442079460132', '2026-11-03T14:30:02.000Z', '60'],
    ]);
    expect(r.skipped).toHaveLength(1);
  });

  it('kamailio-acc log: CDR lines billed with their fractional duration; transaction and missed-call lines skipped; other log lines passed over', async () => {
    const r = await importFixture('kamailio-acc.log');
    expect(r.layout.format).toBe('kamailio-acc');
    expect(r.ok).toEqual([
      ['9d1f3c2a-1b7e@10.0.0.5', '442079460140', '2026-11-03T14:00:00.123Z', '65.432'],
      ['0a1b2c3d-4e5f@10.0.0.5', '442079460142', '2026-11-03T14:05:00.000Z', '120.5'],
    ]);
    expect(r.skipped).toEqual(['an INVITE transaction record, not a call: the call is billed from its CDR (cdr_enable)', 'a BYE transaction record, not a call', 'SIP 486: not answered, nothing to bill']);
    expect(r.ignored).toBe(1);
  });

  it('kamailio-acc: acc_json lines and an acc_cdrs table export', async () => {
    const j = await importFixture('kamailio-acc-json.log');
    expect(j.layout.format).toBe('kamailio-acc');
    expect(j.ok).toEqual([['c0ffee01-aa@10.0.0.7', '442079460143', '2026-11-03T14:30:00.250Z', '45.5']]);
    expect(j.skipped).toEqual(['duration is 0 (unanswered attempt): nothing to bill']);
    const t = await importFixture('kamailio-acc-cdrs.csv');
    expect(t.layout.format).toBe('kamailio-acc');
    expect(t.ok).toEqual([
      ['77d0c1e2-01@10.0.0.9', '442079460145', '2026-11-03T15:00:00.000Z', '65.432'],
      ['77d0c1e2-02@10.0.0.9', '442079460146', '2026-11-03T15:10:00.000Z', '200.001'],
    ]);
  });

  it('opensips-acc: CDR mode, ms_duration kept to the millisecond, a 486 skipped', async () => {
    const r = await importFixture('opensips-acc.csv');
    expect(r.layout.format).toBe('opensips-acc');
    expect(r.ok).toEqual([
      ['a84b4c76e66710@10.0.1.4', '442079460147', '2026-11-03T16:00:05.000Z', '95.25'],
      ['ca6d6e98088932@10.0.1.4', '442079460149', '2026-11-03T16:10:03.000Z', '30.001'],
    ]);
    expect(r.skipped).toEqual(['SIP 486: not answered, nothing to bill']);
  });

  it('cisco-cucm: header row, type row, epoch times; a call never connected skipped', async () => {
    const r = await importFixture('cisco-cucm.csv', { dialling: diallingPlan({ countryCode: '1' }) });
    expect(r.layout.format).toBe('cisco-cucm');
    expect(r.ok).toEqual([
      ['6a3b2f1e-9c8d-4e7f-a6b5-c4d3e2f1a001', '442079460150', '2026-11-03T16:00:06.000Z', '120'],
      ['6a3b2f1e-9c8d-4e7f-a6b5-c4d3e2f1a003', '442079460152', '2026-11-03T16:10:04.000Z', '600'],
    ]);
    expect(r.skipped).toHaveLength(1);
  });

  it('yate: tab-separated cdrfile; answer = time + duration - billtime; the incoming leg skipped', async () => {
    const r = await importFixture('yate-cdr.tsv');
    expect(r.layout.format).toBe('yate');
    expect(r.ok).toEqual([['1793725190-11', '442079460160', '2026-11-03T17:00:04.620Z', '75.25']]);
    expect(r.skipped).toEqual(['incoming leg: the outgoing leg of the same call is the one billed', 'disposition NO ANSWER: not answered, nothing to bill']);
  });

  it('twilio: RFC 2822 times, answer = EndTime - Duration, no-answer skipped', async () => {
    const r = await importFixture('twilio-calls.csv');
    expect(r.layout.format).toBe('twilio');
    expect(r.ok).toEqual([
      ['CA0b1c2d3e4f5061728394a5b6c7d8e9f0', '442079460170', '2026-11-03T18:00:06.000Z', '62'],
      ['CA2d3e4f5061728394a5b6c7d8e9f0a1b2', '442079460172', '2026-11-03T18:10:07.000Z', '300'],
    ]);
    expect(r.skipped).toHaveLength(1);
  });

  it('a mapping for a layout no preset knows: positions, a delimiter, a time pattern, milliseconds', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(require('node:os').tmpdir(), 'map-'));
    const file = path.join(dir, 'calls.txt');
    writeFileSync(file, 'X7;03/11/2026 10:00:05;0044 20 7946 0180;61500;ok\nX8;03/11/2026 10:10:00;0044 20 7946 0181;0;busy\n');
    const spec: CdrMappingSpec = { delimiter: ';', header: false, fields: { record_id: 1, answer_time: 2, called_number: 3, duration: 4, disposition: 5 }, timeFormat: 'dd/MM/yyyy HH:mm:ss', durationUnit: 'ms', unansweredValues: ['busy'] };
    const layout = resolveLayout(file, undefined, spec);
    expect(layout.format).toBe('mapping');
    const out = [];
    for await (const row of readRows(file, layout.reading)) out.push(mapRow(row, layout, { source: 'MEASURING_EQUIPMENT', buyerId: 'B', carrierId: 'C', timeZone: 'Europe/London' }));
    expect(out.map((m) => (m.ok ? [m.record.recordId, m.record.destination, m.record.intervalStart, m.record.quantity] : m.reason))).toEqual([
      ['X7', '442079460180', '2026-11-03T10:00:05.000Z', '61.5'],
      'disposition NO ANSWER: not answered, nothing to bill',
    ]);
  });
});
