// `npm run ingest` on every layout preset's fixture as the product writes it: the built CLI as a
// process against a running billing service, format detected, the summary and exit code checked.
// Then the CLI's truth: a file its layout cannot read, a missing buyer, relative paths under npm.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gqlOk, startBilling } from '../../support/harness';
import { run } from '../../support/processes';
import { agentToken, recordSelection, type Billing } from './fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'billing-subgraph/dist/cli/ingest.js');
const FIXTURES = path.join(ROOT, 'tests/fixtures/cdr');

describe('npm run ingest on every layout preset (process)', () => {
  let b: Billing;
  let dir: string;
  let token: string;
  const carriers = ['ast16', 'custom', 'fpbxr', 'fssql', 'cucm', 'twilio', 'kamlog', 'kamjson', 'kamcdrs', 'osips', 'yate', 'map', 'truth'];
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    dir = mkdtempSync(path.join(tmpdir(), 'cdr-layouts-'));
    token = await agentToken();
    for (const c of carriers) {
      await recordSelection(b, { selectionId: `sel-l-${c}`, requestId: `req-l-${c}`, buyerId: 'lay-buyer', carrierId: `lay-${c}`, routes: [{ origin: 'US', destination: '44' }], start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z', incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    }
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ingest(fixture: string, args: string[], opts: { content?: string } = {}) {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}-${fixture}`);
    if (opts.content !== undefined) writeFileSync(file, opts.content);
    else copyFileSync(path.join(FIXTURES, fixture), file);
    const p = run(process.execPath, [CLI, file, '--url', b.url, '--no-progress', ...args], { ...process.env, BILLING_TOKEN: token });
    const { code } = await p.exited;
    return { code, ...p.output() };
  }

  async function usage(carrierId: string) {
    const r = await gqlOk(b.url, `query($f: UsageRecordFilter) { usageRecords(filter: $f, first: 100) { nodes { recordId status intervalStart quantity destination } } }`, { f: { carrierId } }, token);
    return (r.usageRecords.nodes as any[]).sort((x, y) => x.intervalStart.localeCompare(y.intervalStart)).map((u) => [u.recordId, u.status, u.intervalStart, u.quantity, u.destination]);
  }

  const buyer = (carrier: string) => ['--buyer', 'lay-buyer', '--carrier', `lay-${carrier}`];

  it.each([
    ['asterisk-master-defaults.csv', 'ast16', ['--timezone', 'America/New_York', '--country-code', '1', '--equipment', 'pbx-nyc-2'], /Asterisk cdr_csv Master.csv, no header, 16 columns \(detected\)/, 2, 1],
    ['asterisk-cdr-custom.csv', 'custom', ['--timezone', 'Europe/London', '--equipment', 'pbx-ldn-2'], /cdr_custom.conf.sample's mapping .*\(detected\)/, 2, 1],
    ['freepbx-report.csv', 'fpbxr', ['--timezone', 'Europe/London', '--country-code', '44', '--equipment', 'pbx-ldn-3'], /FreePBX CDR report CSV export .*\(detected\)/, 2, 1],
    ['freeswitch-sql.csv', 'fssql', ['--timezone', 'Europe/Berlin'], /FreeSWITCH mod_cdr_csv `sql` template .*\(detected\)/, 2, 1],
    ['cisco-cucm.csv', 'cucm', ['--country-code', '1'], /Cisco Unified CM CDR flat file .*\(detected\)/, 2, 1],
    ['twilio-calls.csv', 'twilio', [], /Twilio call log export CSV .*\(detected\)/, 2, 1],
  ])('%s: detected, accepted and rated, unanswered rows skipped, exit 0', async (fixture, carrier, args, format, accepted, skipped) => {
    const out = await ingest(fixture, [...buyer(carrier), ...args]);
    expect(out.stderr).toMatch(format);
    expect(out.stdout).toMatch(new RegExp(`accepted ${accepted}: associated and rated ${accepted}, parked UNASSOCIATED 0`));
    expect(out.stdout).toMatch(new RegExp(`rejected 0\\n {2}skipped ${skipped} `));
    expect(out.code).toBe(0);
    expect((await usage(`lay-${carrier}`)).every((u) => u[1] === 'RATED')).toBe(true);
  });

  it('fractional durations (Kamailio log, acc_json and acc_cdrs; OpenSIPS ms_duration; Yate billtime) are stored to the millisecond', async () => {
    const log = await ingest('kamailio-acc.log', buyer('kamlog'));
    expect(log.stderr).toMatch(/format: Kamailio acc CDRs .*\(detected\)/);
    expect(log.stderr).toMatch(/note: 1 lines were not accounting records/);
    expect(log.stdout).toMatch(/accepted 2: associated and rated 2/);
    expect(log.code).toBe(0);
    expect(await usage('lay-kamlog')).toEqual([
      ['9d1f3c2a-1b7e@10.0.0.5', 'RATED', '2026-11-03T14:00:00.123Z', '65.432', '442079460140'],
      ['0a1b2c3d-4e5f@10.0.0.5', 'RATED', '2026-11-03T14:05:00.000Z', '120.5', '442079460142'],
    ]);
    expect((await ingest('kamailio-acc-json.log', buyer('kamjson'))).stdout).toMatch(/accepted 1: associated and rated 1/);
    const cdrs = await ingest('kamailio-acc-cdrs.csv', buyer('kamcdrs'));
    expect(cdrs.stdout).toMatch(/accepted 2: associated and rated 2/);
    expect((await usage('lay-kamcdrs')).map((u) => u[3])).toEqual(['65.432', '200.001']);
    const os = await ingest('opensips-acc.csv', buyer('osips'));
    expect(os.stderr).toMatch(/format: OpenSIPS acc table in CDR mode .*\(detected\)/);
    expect((await usage('lay-osips')).map((u) => u[3])).toEqual(['95.25', '30.001']);
    const y = await ingest('yate-cdr.tsv', buyer('yate'));
    expect(y.stderr).toMatch(/format: Yate cdrfile/);
    expect(y.stdout).toMatch(/accepted 1: associated and rated 1[\s\S]*skipped 2 /);
    expect(await usage('lay-yate')).toEqual([['1793725190-11', 'RATED', '2026-11-03T17:00:04.620Z', '75.25', '442079460160']]);
  });

  it('a file its layout cannot read: exit 2 with the line, the problem and the options; the same again on a rerun, nothing sent', async () => {
    for (let i = 0; i < 2; i++) {
      const out = await ingest('freepbx-report.csv', [...buyer('truth'), '--format', 'generic', '--checkpoint', path.join(dir, 'unreadable.ckpt')]);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/line 2: a quote inside a quoted field is not doubled.*--relax-quotes/);
      expect(out.stderr).toMatch(/nothing was sent/);
      expect(out.stderr).not.toMatch(/Invalid Closing Quote|CSV_/);
    }
    // Told how the file is written, the same file imports.
    const relaxed = await ingest('freepbx-report.csv', [...buyer('truth'), '--format', 'generic', '--relax-quotes', '--timezone', 'Europe/London', '--country-code', '44']);
    expect(relaxed.stdout).toMatch(/accepted 2:/);
    expect(relaxed.code).toBe(0);
    // A FreeSWITCH sql file whose line is cut: the line number and what is wrong.
    const cut = await ingest('cut.csv', buyer('truth'), { content: 'INSERT INTO cdr VALUES ("A","1","4420","public","2026-11-03 15:20:00","2026-11-03 15:20:06","2026-11-03 15:22:06","126","120","NORMAL_CLEARING","u1","", "acme");\nINSERT INTO cdr VALUES ("B","2","4421","pub\n' });
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/line 2: a quoted value is not closed/);
  });

  it('without --buyer and no buyer_id column: a usage error before anything is sent', async () => {
    const out = await ingest('twilio-calls.csv', ['--carrier', 'lay-truth-nobuyer']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--buyer is required: the rows of this file carry no buyer_id column/);
    expect(await usage('lay-truth-nobuyer')).toEqual([]);
  });

  it('relative paths (file, --mapping, --checkpoint) are read from the folder the command was typed in, under npm --prefix', async () => {
    const work = mkdtempSync(path.join(dir, 'ops-'));
    writeFileSync(path.join(work, 'calls.txt'), 'X7;03/11/2026 10:00:05;0044 20 7946 0180;61000;ok\nX8;03/11/2026 10:10:00;0044 20 7946 0181;0;busy\n');
    writeFileSync(path.join(work, 'map.json'), JSON.stringify({ delimiter: ';', header: false, fields: { record_id: 1, answer_time: 2, called_number: 3, duration: 4, disposition: 5 }, timeFormat: 'dd/MM/yyyy HH:mm:ss', durationUnit: 'ms', unansweredValues: ['busy'] }));
    const p = run('npm', ['--prefix', ROOT, 'run', 'ingest', '--', 'calls.txt', '--mapping', 'map.json', '--checkpoint', 'calls.ckpt', '--url', b.url, '--no-progress', ...buyer('map'), '--timezone', 'Europe/London'], { ...process.env, BILLING_TOKEN: token, INIT_CWD: '' }, { cwd: work });
    const { code } = await p.exited;
    expect(p.output().stderr).toMatch(/format: column mapping, no header/);
    expect(p.output().stdout).toMatch(/accepted 1: associated and rated 1[\s\S]*skipped 1 /);
    expect(code).toBe(0);
    expect(await usage('lay-map')).toEqual([['X7', 'RATED', '2026-11-03T10:00:05.000Z', '61', '442079460180']]);
    const missing = run('npm', ['--prefix', ROOT, 'run', 'ingest', '--', 'nope.csv', '--buyer', 'x'], { ...process.env, BILLING_TOKEN: token, INIT_CWD: '' }, { cwd: work });
    expect((await missing.exited).code).toBe(2);
    expect(missing.output().stderr).toMatch(new RegExp(`nope.csv not found \\(looked in ${work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
  }, 60_000);
});
