// Issue 25 as a carrier's finance team found it, replayed with the built CLI as a process against
// a running billing: PBX Master.csv files of the DST nights (New York 2026-11-01, Berlin
// 2026-10-25) next to the carrier's own UTC records of the same calls (ingested as CARRIER
// through GraphQL) — each call billed once at its true UTC time; a PBX file over two carriers'
// trunks imported in one run with --trunk-map; rows that are no billable call skipped with reasons.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gqlOk, startBilling, token } from '../../support/harness';
import { run } from '../../support/processes';
import { agentToken, GENERATE, ingestOk, recordSelection, type Billing } from './fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'billing-subgraph/dist/cli/ingest.js');
const FIXTURES = path.join(ROOT, 'tests/fixtures/cdr');
const RATE = { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } };

/** The fixture's rows as the switch wrote them: the '#' note at its top removed. */
const rows = (fixture: string) =>
  readFileSync(path.join(FIXTURES, fixture), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

describe('npm run ingest: DST nights, carrier per trunk, non-billable rows (process)', () => {
  let b: Billing;
  let dir: string;
  let agent: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    dir = mkdtempSync(path.join(tmpdir(), 'cdr-dst-'));
    agent = await agentToken();
    for (const c of ['dst-ny', 'dst-ber', 'dst-tav', 'dst-bw']) {
      await recordSelection(b, { selectionId: `sel-${c}`, requestId: `req-${c}`, buyerId: 'dst-buyer', carrierId: c, routes: [{ origin: 'US', destination: '44' }], start: '2026-10-01T00:00:00Z', end: '2026-12-01T00:00:00Z', quantity: '1', incentive: RATE });
    }
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ingestFile(name: string, content: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    const p = run(process.execPath, [CLI, file, '--url', b.url, '--no-progress', '--buyer', 'dst-buyer', ...args], { ...process.env, BILLING_TOKEN: agent, ...env });
    const { code } = await p.exited;
    return { code, ...p.output() };
  }

  /** The carrier's own records: UTC, its own ids, answer a second later than the PBX saw it. */
  async function carrierReports(carrierId: string, calls: [string, number, string][]) {
    const records = calls.map(([answer, seconds, destination], i) => {
      const at = Date.parse(answer) + 1000;
      return { recordId: `${carrierId}-cdr-${i}`, source: 'CARRIER', buyerId: 'dst-buyer', carrierId, intervalStart: new Date(at).toISOString(), intervalEnd: new Date(at + seconds * 1000).toISOString(), serviceType: 'VOICE', quantity: String(seconds), destination };
    });
    expect(await ingestOk(b, records, await token('CARRIER', carrierId))).toMatchObject({ accepted: records.length, rejected: [] });
  }

  /** What is billed for the carrier's request: its billing records (a reversal has no usage of its own: it would fail here), with the usage each was rated from. */
  async function billed(carrierId: string) {
    const r = await gqlOk(b.url, `query($id: ID!) { billingRecords(requestId: $id, first: 100) { nodes { id usage { source intervalStart intervalEnd destination quantity } } } }`, { id: `req-${carrierId}` }, agent);
    return (r.billingRecords.nodes as any[]).map((n) => [n.usage.destination, n.usage.source, n.usage.intervalStart, n.usage.intervalEnd, n.usage.quantity]).sort((x, y) => x[0].localeCompare(y[0]));
  }

  async function rejectedReasons() {
    const r = await gqlOk(b.url, `{ rejectedUsage(first: 100) { nodes { reason raw } } }`, {}, agent);
    return r.rejectedUsage.nodes as { reason: string; raw: string }[];
  }

  it('New York, 2026-11-01: the repeated hour decided by uniqueid and by end − billsec, the crossing call 600 s, the undecidable and the non-existent time refused; the carrier\'s UTC records match, each call billed once', async () => {
    const out = await ingestFile('ny.csv', rows('asterisk-dst-new-york.csv'), ['--carrier', 'dst-ny', '--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-nyc']);
    expect(out.stdout).toMatch(/rows 7\n {2}accepted 5: associated and rated 5, parked UNASSOCIATED 0/);
    expect(out.stdout).toMatch(/rejected 2 /);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/line 6: in America\/New_York the hour is repeated when the clocks go back: answer_time "2026-11-01 01:10:05" is 2026-11-01T05:10:05.000Z \(UTC-04:00, first occurrence\) or 2026-11-01T06:10:05.000Z \(UTC-05:00, second occurrence\);.*nothing in the row decides/);
    expect(out.stderr).toMatch(/line 7: answer_time "2026-03-08 02:30:00" does not exist in America\/New_York/);

    // Then the carrier's own records of the same calls, in UTC.
    await carrierReports('dst-ny', [
      ['2026-11-01T05:20:05Z', 600, '442079460101'],
      ['2026-11-01T06:30:00Z', 600, '442079460102'],
      ['2026-11-01T06:40:00Z', 1500, '442079460103'],
      ['2026-11-01T05:45:00Z', 5100, '442079460104'],
      ['2026-11-01T05:55:00Z', 600, '442079460105'],
      // The call the PBX row cannot place: the carrier's record bills it.
      ['2026-11-01T06:10:05Z', 300, '442079460106'],
    ]);

    expect(await billed('dst-ny')).toEqual([
      ['442079460101', 'MEASURING_EQUIPMENT', '2026-11-01T05:20:05.000Z', '2026-11-01T05:30:05.000Z', '600'],
      ['442079460102', 'MEASURING_EQUIPMENT', '2026-11-01T06:30:00.000Z', '2026-11-01T06:40:00.000Z', '600'],
      ['442079460103', 'MEASURING_EQUIPMENT', '2026-11-01T06:40:00.000Z', '2026-11-01T07:05:00.000Z', '1500'],
      ['442079460104', 'MEASURING_EQUIPMENT', '2026-11-01T05:45:00.000Z', '2026-11-01T07:10:00.000Z', '5100'],
      ['442079460105', 'MEASURING_EQUIPMENT', '2026-11-01T05:55:00.000Z', '2026-11-01T06:05:00.000Z', '600'],
      ['442079460106', 'CARRIER', '2026-11-01T06:10:06.000Z', '2026-11-01T06:15:06.000Z', '300'],
    ]);
    // The carrier's five records of the PBX's calls are evidence of the same calls, not charges.
    expect(await b.models.Usage.countDocuments({ carrierId: 'dst-ny', source: 'CARRIER', status: 'CORROBORATING' })).toBe(5);

    const kept = await rejectedReasons();
    expect(kept.find((r) => r.raw.includes('011442079460106'))?.reason).toMatch(/2026-11-01T05:10:05.000Z .* or 2026-11-01T06:10:05.000Z .*write the time with its UTC offset/);
    expect(kept.find((r) => r.raw.includes('011442079460107'))?.reason).toMatch(/does not exist in America\/New_York: the clocks went forward/);
  });

  it('Berlin, 2026-10-25: the same on the European night, each call billed once at its true UTC time', async () => {
    const out = await ingestFile('berlin.csv', rows('asterisk-dst-berlin.csv'), ['--carrier', 'dst-ber', '--timezone', 'Europe/Berlin', '--country-code', '49', '--equipment', 'pbx-ber']);
    expect(out.stdout).toMatch(/rows 6\n {2}accepted 4: associated and rated 4, parked UNASSOCIATED 0/);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/line 5: in Europe\/Berlin the hour is repeated .*answer_time "2026-10-25 02:10:05" is 2026-10-25T00:10:05.000Z \(UTC\+02:00, first occurrence\) or 2026-10-25T01:10:05.000Z \(UTC\+01:00, second occurrence\)/);
    expect(out.stderr).toMatch(/line 6: answer_time "2026-03-29 02:30:00" does not exist in Europe\/Berlin/);
    await carrierReports('dst-ber', [
      ['2026-10-25T00:20:05Z', 600, '442079460201'],
      ['2026-10-25T01:30:00Z', 600, '442079460202'],
      ['2026-10-25T01:40:00Z', 1500, '442079460203'],
      ['2026-10-25T00:55:00Z', 600, '442079460204'],
    ]);
    expect(await billed('dst-ber')).toEqual([
      ['442079460201', 'MEASURING_EQUIPMENT', '2026-10-25T00:20:05.000Z', '2026-10-25T00:30:05.000Z', '600'],
      ['442079460202', 'MEASURING_EQUIPMENT', '2026-10-25T01:30:00.000Z', '2026-10-25T01:40:00.000Z', '600'],
      ['442079460203', 'MEASURING_EQUIPMENT', '2026-10-25T01:40:00.000Z', '2026-10-25T02:05:00.000Z', '1500'],
      ['442079460204', 'MEASURING_EQUIPMENT', '2026-10-25T00:55:00.000Z', '2026-10-25T01:05:00.000Z', '600'],
    ]);
    expect(await b.models.Usage.countDocuments({ carrierId: 'dst-ber', source: 'CARRIER', status: 'CORROBORATING' })).toBe(4);
  });

  it('a PBX file over two carriers\' trunks: --trunk-map (relative to INIT_CWD) bills each carrier its calls in one import; extension, s, *72 and a 7-digit number are skipped with reasons, never billed', async () => {
    const out = await ingestFile('two-trunks.csv', rows('asterisk-two-trunks.csv'), ['--trunk-map', 'trunk-map.csv', '--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-nyc-2'], { INIT_CWD: FIXTURES });
    expect(out.stdout).toMatch(/rows 8\n {2}accepted 4: associated and rated 4, parked UNASSOCIATED 0/);
    expect(out.stdout).toMatch(/rejected 0\n {2}skipped 4 \(not answered 0; no billable call: internal extension 1, dial plan extension 1, feature code 1, short number 1 — never billed/);
    expect(out.code).toBe(0);
    expect((await billed('dst-tav')).map((r) => [r[0], r[2], r[4]])).toEqual([
      ['442079460301', '2026-11-05T14:00:06.000Z', '120'],
      ['442079460303', '2026-11-05T14:10:10.000Z', '60'],
    ]);
    expect((await billed('dst-bw')).map((r) => [r[0], r[2], r[4]])).toEqual([
      ['442079460302', '2026-11-05T14:05:04.000Z', '300'],
      ['442079460304', '2026-11-05T14:15:03.000Z', '90'],
    ]);
    // Nothing of the four other rows became usage (no "+1001", nothing parked).
    expect(await b.models.Usage.countDocuments({ equipmentId: 'pbx-nyc-2' })).toBe(4);
    const skipped = (await rejectedReasons()).filter((r) => r.raw.includes('"1793888') || r.raw.includes('"1793889')).map((r) => r.reason.replace(/^line \d+: /, ''));
    expect(skipped.sort()).toEqual([
      'skipped, not billed: 7-digit number 5550123 (a local number without its area code?): not a billable destination (shorter than --min-destination-digits 8)',
      'skipped, not billed: dial plan extension "s" (start): not a dialled number, nothing to bill',
      'skipped, not billed: feature code *72: handled by the PBX, not a billable destination',
      'skipped, not billed: internal extension 1001: not a billable destination (shorter than --min-destination-digits 8)',
    ]);

    // Each carrier's bill holds exactly its calls.
    const bills = (await gqlOk(b.url, GENERATE, { period: { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' } }, agent)).generateBills.bills as any[];
    const usageLines = (c: string) => bills.filter((x) => x.carrier.id === c).map((x) => [x.recordCount, x.lines.filter((l: any) => l.kind === 'USAGE').map((l: any) => [l.quantity, l.unit, l.amount])]);
    expect(usageLines('dst-tav')).toEqual([[2, [['3', 'MINUTE', '1.800000']]]]);
    expect(usageLines('dst-bw')).toEqual([[2, [['6.5', 'MINUTE', '3.900000']]]]);
  });

  it('a trunk the map does not name is refused with that reason (--carrier is no fallback); a bad map is a usage error', async () => {
    const row = `"acme","12125550100","011442079460399","from-internal","""A"" <12125550100>","SIP/1001-00000080","SIP/oldcarrier-00000081","Dial","SIP/oldcarrier/011442079460399,60","2026-11-06 09:00:00","2026-11-06 09:00:05","2026-11-06 09:01:05",65,60,"ANSWERED","BILLING","1793973605.129",""\n`;
    const out = await ingestFile('unmapped.csv', row, ['--trunk-map', path.join(FIXTURES, 'trunk-map.csv'), '--carrier', 'dst-tav', '--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-nyc-3']);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/line 1: trunk "oldcarrier" \(dstchannel\) maps to no carrier in --trunk-map .*trunk-map.csv: add a line "oldcarrier,<carrier_id>"/);
    expect(await b.models.Usage.countDocuments({ equipmentId: 'pbx-nyc-3' })).toBe(0);

    const badMap = path.join(dir, 'bad-map.csv');
    writeFileSync(badMap, 'name,carrier\nx,y\n');
    const bad = await ingestFile('unmapped2.csv', row, ['--trunk-map', badMap]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the first line must be the header "trunk,carrier_id"/);
  });

  it('--internal-pattern skips the PBX\'s own longer numbers; bad values of the new options are usage errors', async () => {
    const row = `"acme","12125550100","90001234","from-internal","""A"" <12125550100>","SIP/1001-00000090","SIP/tav-trunk-00000091","Dial","SIP/tav-trunk/90001234,60","2026-11-06 10:00:00","2026-11-06 10:00:05","2026-11-06 10:01:05",65,60,"ANSWERED","BILLING","1793977205.145",""\n`;
    const args = ['--carrier', 'dst-tav', '--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-nyc-4'];
    const out = await ingestFile('pattern.csv', row, [...args, '--internal-pattern', '9\\d{7}']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/skipped 1 \(not answered 0; no billable call: internal extension 1/);
    expect(await b.models.Usage.countDocuments({ equipmentId: 'pbx-nyc-4' })).toBe(0);
    const digits = await ingestFile('digits.csv', row, [...args, '--min-destination-digits', '0']);
    expect(digits.code).toBe(2);
    expect(digits.stderr).toMatch(/--min-destination-digits must be a whole number from 1 to 15/);
    const pattern = await ingestFile('pattern2.csv', row, [...args, '--internal-pattern', '(']);
    expect(pattern.code).toBe(2);
    expect(pattern.stderr).toMatch(/--internal-pattern "\(" is not a regular expression/);
  });
});
