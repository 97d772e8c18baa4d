// `npm run ingest` as an operator runs it: the built CLI as a process, on the switch files of
// tests/fixtures/cdr exactly as Asterisk, FreePBX and FreeSWITCH write them, against a running
// billing service. Format auto-detected; the summary, exit code and stored usage are checked.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gqlOk } from '../../support/harness';
import { run } from '../../support/processes';
import { agentToken, recordSelection, type Billing } from './fixtures';
import { startBilling } from '../../support/harness';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'billing-subgraph/dist/cli/ingest.js');
const FIXTURES = path.join(ROOT, 'tests/fixtures/cdr');

describe('npm run ingest on switch CDR files as written (process)', () => {
  let b: Billing;
  let dir: string;
  let token: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    dir = mkdtempSync(path.join(tmpdir(), 'cdr-formats-'));
    token = await agentToken();
    for (const carrier of ['ast', 'fpbx', 'fs', 'fsh', 'gen', 'bad']) {
      await recordSelection(b, { selectionId: `sel-${carrier}`, requestId: `req-${carrier}`, buyerId: 'fmt-buyer', carrierId: `fmt-${carrier}`, routes: [{ origin: 'US', destination: '44' }], start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z', incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    }
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Copies a fixture to a fresh folder (the checkpoint goes next to it) and runs the CLI on it. */
  async function ingest(fixture: string, args: string[], content?: string) {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}-${fixture}`);
    if (content !== undefined) writeFileSync(file, content);
    else copyFileSync(path.join(FIXTURES, fixture), file);
    const p = run(process.execPath, [CLI, file, '--url', b.url, '--no-progress', ...args], { ...process.env, BILLING_TOKEN: token });
    const { code } = await p.exited;
    return { code, ...p.output(), file };
  }

  async function usage(carrierId: string) {
    const r = await gqlOk(b.url, `query($f: UsageRecordFilter) { usageRecords(filter: $f, first: 100) { nodes { recordId status intervalStart quantity destination unassociatedReason } } }`, { f: { carrierId } }, token);
    return (r.usageRecords.nodes as any[]).sort((x, y) => x.intervalStart.localeCompare(y.intervalStart));
  }

  it('Asterisk Master.csv: detected, New York times, 011 numbers, unanswered rows and the internal call skipped with their reasons', async () => {
    const out = await ingest('asterisk-master.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-ast', '--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-nyc-1']);
    expect(out.stderr).toMatch(/format: Asterisk cdr_csv Master.csv, no header, 18 columns \(detected\)/);
    expect(out.stdout).toMatch(/rows 6\n {2}accepted 2: associated and rated 2, parked UNASSOCIATED 0\n/);
    expect(out.stdout).toMatch(/rejected 0\n {2}skipped 4 \(not answered 3; no billable call: internal extension 1/);
    expect(out.code).toBe(0);
    expect((await usage('fmt-ast')).map((u) => [u.recordId, u.status, u.intervalStart, u.quantity, u.destination, u.unassociatedReason])).toEqual([
      ['1793714525.1', 'RATED', '2026-11-03T14:02:11.000Z', '135', '442079460000', null],
      ['1793719800.8', 'RATED', '2026-11-03T15:30:09.000Z', '600', '442079460004', null],
    ]);
  });

  it('FreePBX export with a header (London, national numbers) and FreeSWITCH with and without a header', async () => {
    const fpbx = await ingest('freepbx-cdr-export.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-fpbx', '--timezone', 'Europe/London', '--country-code', '44']);
    expect(fpbx.stderr).toMatch(/format: Asterisk cdr_custom\/cdr_adaptive_odbc or FreePBX export .*header row \(detected\)/);
    expect(fpbx.stdout).toMatch(/accepted 2: associated and rated 2, parked UNASSOCIATED 0/);
    expect(fpbx.code).toBe(0);
    expect((await usage('fmt-fpbx')).map((u) => [u.intervalStart, u.quantity, u.destination])).toEqual([
      ['2026-11-03T14:00:05.000Z', '90', '442079460010'],
      ['2026-11-03T14:10:07.000Z', '300', '442079460013'],
    ]);

    const fs = await ingest('freeswitch-cdr.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-fs', '--timezone', 'Europe/Berlin']);
    expect(fs.stderr).toMatch(/format: FreeSWITCH mod_cdr_csv, no header, 15 columns \(detected\)/);
    expect(fs.stdout).toMatch(/accepted 2: associated and rated 2/);
    expect(fs.code).toBe(0);
    expect((await usage('fmt-fs')).map((u) => [u.intervalStart, u.quantity])).toEqual([['2026-11-03T14:20:06.000Z', '120'], ['2026-11-03T14:30:02.000Z', '60']]);

    const fsh = await ingest('freeswitch-cdr-header.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-fsh']);
    expect(fsh.stderr).toMatch(/format: FreeSWITCH mod_cdr_csv, header row \(detected\)/);
    // Zoneless times without --timezone: read as UTC, and the importer says so.
    expect(fsh.stderr).toMatch(/times without a zone were read as UTC.*--timezone/);
    expect(fsh.stdout).toMatch(/accepted 2: associated and rated 2/);

    const gen = await ingest('generic-cdr.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-gen']);
    expect(gen.stderr).toMatch(/format: generic CDR CSV with a header, header row \(detected\)/);
    expect(gen.stdout).toMatch(/accepted 2: associated and rated 2/);
    expect(gen.code).toBe(0);
  });

  it('without --timezone a New York file parks out of its interval, and the summary says parked, not billed', async () => {
    // The selection ends at 2026-12-01T00:00Z; a call at 20:00 New York on Nov 30 is 01:00Z on Dec 1.
    const line = `"acme","12125550100","011442079460099","from-internal","""A"" <12125550100>","PJSIP/1-1","PJSIP/t-2","Dial","PJSIP/x","2026-11-30 20:00:00","2026-11-30 20:00:05","2026-11-30 20:01:05",65,60,"ANSWERED","BILLING","1796086800.1",""\n`;
    const utc = await ingest('late.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-bad', '--country-code', '1', '--equipment', 'pbx-a'], line);
    expect(utc.stdout).toMatch(/accepted 1: associated and rated 1/);
    const ny = await ingest('late.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-bad', '--country-code', '1', '--equipment', 'pbx-b', '--timezone', 'America/New_York'], line);
    expect(ny.stdout).toMatch(/accepted 1: associated and rated 0, parked UNASSOCIATED 1 \(NO_MATCHING_SELECTION 1;/);
    expect(ny.code).toBe(0);
  });

  it('rows the importer refuses: listed, kept for rejectedUsage, exit code 3; a bad --timezone or an unknown layout is a usage error', async () => {
    const base = readFileSync(path.join(FIXTURES, 'asterisk-master.csv'), 'utf8');
    // Dialled the European way on a North American PBX: no rule makes it a number, so it is refused.
    const bad = `"acme","1001","00442079460000","from-internal","""X"" <1001>","PJSIP/1-3","PJSIP/t-4","Dial","PJSIP/00442079460000@t","2026-11-03 12:00:00","2026-11-03 12:00:01","2026-11-03 12:00:31",31,30,"ANSWERED","BILLING","1793725200.12",""\n`;
    const out = await ingest('with-bad-row.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-bad', '--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-c'], base + bad);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/line 7: called_number "00442079460000" starts with 0 but not with the international prefix 011/);
    expect(out.stdout).toMatch(/rejected 1 \(each listed above and by the rejectedUsage query\)/);
    const listed = await gqlOk(b.url, `{ rejectedUsage(first: 10) { nodes { reason raw source reportedBy } } }`, {}, token);
    // (Rows that are no billable call, like the fixture's extension 2001, are kept there too, marked "skipped, not billed".)
    expect(listed.rejectedUsage.nodes.filter((n: any) => !n.reason.includes('skipped, not billed'))).toEqual([expect.objectContaining({ reason: 'line 7: called_number "00442079460000" starts with 0 but not with the international prefix 011', raw: bad.trimEnd(), source: 'MEASURING_EQUIPMENT', reportedBy: 'BILLING_AGENT:agent-1' })]);
    // Run again: the same rejection is not stored twice.
    const again = await ingest('again.csv', ['--buyer', 'fmt-buyer', '--carrier', 'fmt-bad', '--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-c', '--checkpoint', path.join(dir, 'again.ckpt')], base + bad);
    expect(again.code).toBe(3);

    const tz = await ingest('generic-cdr.csv', ['--timezone', 'Mars/Olympus']);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toMatch(/--timezone Mars\/Olympus is not an IANA time zone/);
    const unknown = await ingest('odd.csv', [], 'x1,2026-11-03 10:00:00,4420794600,30\n');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cannot tell the file's format/);
  });

  it('an import that cannot reach the API stops before reading the file, naming the URL and how to set it; exit code 1', async () => {
    const file = path.join(dir, 'unreachable.csv');
    copyFileSync(path.join(FIXTURES, 'generic-cdr.csv'), file);
    const p = run(process.execPath, [CLI, file, '--url', 'http://127.0.0.1:9/graphql', '--no-progress', '--buyer', 'x', '--carrier', 'y'], { ...process.env, BILLING_TOKEN: token });
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(p.output().stderr).toMatch(/^ingest: cannot reach billing at http:\/\/127\.0\.0\.1:9\/graphql \(from --url\): bad port; is it running\? set --url or BILLING_URL .*; nothing was sent\n$/);
  }, 30_000);

  it('record ids are unique per switch: two PBXs reusing a uniqueid are both billed; unnamed, the second is a conflict refused with its reason', async () => {
    await recordSelection(b, { selectionId: 'sel-two', requestId: 'req-two', buyerId: 'fmt-buyer', carrierId: 'fmt-two', routes: [{ origin: 'US', destination: '44' }], start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' });
    const row = (start: string, answer: string, end: string, billsec: number) =>
      `"","12125550100","011442079460077","from-internal","""A"" <12125550100>","PJSIP/1-1","PJSIP/t-2","Dial","PJSIP/x","${start}","${answer}","${end}",${billsec + 5},${billsec},"ANSWERED","BILLING","1793700000.1",""\n`;
    const pbxA = row('2026-11-03 05:00:00', '2026-11-03 05:00:05', '2026-11-03 05:02:05', 120);
    const pbxB = row('2026-11-04 07:00:00', '2026-11-04 07:00:05', '2026-11-04 07:10:05', 600);
    const args = ['--buyer', 'fmt-buyer', '--carrier', 'fmt-two', '--timezone', 'America/New_York', '--country-code', '1'];
    expect((await ingest('pbx-a.csv', [...args, '--equipment', 'pbx-a'], pbxA)).code).toBe(0);
    const b1 = await ingest('pbx-b.csv', [...args, '--equipment', 'pbx-b'], pbxB);
    expect(b1.stdout).toMatch(/accepted 1: associated and rated 1/);
    // The same file again from the same switch: a duplicate, not a conflict.
    const b2 = await ingest('pbx-b-again.csv', [...args, '--equipment', 'pbx-b'], pbxB);
    expect(b2.stdout).toMatch(/accepted 0: .*\n {2}duplicates 1/);
    expect(b2.code).toBe(0);
    expect((await usage('fmt-two')).map((u) => [u.recordId, u.quantity, u.status])).toEqual([['1793700000.1', '120', 'RATED'], ['1793700000.1', '600', 'RATED']]);

    // Neither switch named: the second call under the same id is refused as a conflict, never dropped as a duplicate.
    const unnamedA = await ingest('unnamed-a.csv', args, pbxA);
    expect(unnamedA.stderr).toMatch(/an Asterisk uniqueid is unique on one switch only; name the switch with --equipment/);
    const unnamedB = await ingest('unnamed-b.csv', args, pbxB);
    expect(unnamedB.code).toBe(3);
    expect(unnamedB.stderr).toMatch(/line 1 \(1793700000.1\): conflict: recordId 1793700000.1 \(no equipmentId: record ids are unique per switch.*\) was already reported by BILLING_AGENT:agent-1 with different contents/);
  });
});
