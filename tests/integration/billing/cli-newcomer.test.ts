// Issue 26 (a newcomer's first hour): `npm run ingest` as the README shows it, the built CLI as a
// process against a live billing subgraph. It finds billing the way the stack was started
// (BILLING_PORT) or names the URL it tried; its checkpoints live outside the CDR folder; a
// corrected re-import (the right carrier) is noticed, explained, and done with --restart.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gqlOk } from '../../support/harness';
import { run } from '../../support/processes';
import { agentToken, recordSelection, type Billing } from './fixtures';
import { startBilling } from '../../support/harness';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'billing-subgraph/dist/cli/ingest.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

describe('npm run ingest as a newcomer runs it (process, live billing)', () => {
  let b: Billing;
  let dir: string;
  let state: string;
  let token: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    dir = mkdtempSync(path.join(tmpdir(), 'cdr-newcomer-'));
    state = mkdtempSync(path.join(tmpdir(), 'cdr-newcomer-state-'));
    token = await agentToken();
    await recordSelection(b, { selectionId: 'nc-sel', requestId: 'nc-req', buyerId: 'nc-buyer', carrierId: 'nc-right', routes: [{ origin: 'US', destination: '44' }], start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z', incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });

  /** The environment of a terminal where the stack was started: no BILLING_URL unless given. */
  function env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const e: NodeJS.ProcessEnv = { ...process.env, BILLING_TOKEN: token, INGEST_CHECKPOINT_DIR: state };
    for (const k of ['BILLING_URL', 'BILLING_PORT', 'BILLING_HOST', 'INIT_CWD']) delete e[k];
    return { ...e, ...extra };
  }
  async function ingest(args: string[], extra: Record<string, string>) {
    const p = run(process.execPath, [CLI, ...args, '--no-progress'], env(extra));
    const { code } = await p.exited;
    return { code, ...p.output() };
  }
  function cdrFile(name: string, prefix: string, rows = 3): string {
    const lines = ['uniqueid,src,dst,answer,end,billsec,duration'];
    for (let i = 0; i < rows; i++) lines.push(`${prefix}-${i},+15551230000,+44207000${String(i).padStart(4, '0')},2026-10-07 00:0${i}:00,,${30 + i},${40 + i}`);
    const file = path.join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }
  async function usage(prefix: string) {
    const r = await gqlOk(b.url, `query($f: UsageRecordFilter) { usageRecords(filter: $f, first: 100) { nodes { recordId status carrierId unassociatedReason } } }`, { f: { buyerId: 'nc-buyer' } }, token);
    return (r.usageRecords.nodes as { recordId: string; status: string; carrierId: string }[]).filter((u) => u.recordId.startsWith(prefix)).sort((x, y) => x.recordId.localeCompare(y.recordId));
  }

  it('finds billing by BILLING_PORT as npm start was given it, with no --url and no BILLING_URL', async () => {
    const file = cdrFile('port.csv', 'port');
    const out = await ingest([file, '--buyer', 'nc-buyer', '--carrier', 'nc-right'], { BILLING_PORT: String(b.port) });
    expect(out.stdout).toMatch(/accepted 3: associated and rated 3/);
    expect(out.code).toBe(0);
  });

  it('says in one line which URL it tried and how to set it when billing is not there; nothing is sent', async () => {
    const file = cdrFile('nobody.csv', 'nobody');
    const port = await freePort();
    const out = await ingest([file, '--buyer', 'nc-buyer', '--carrier', 'nc-right'], { BILLING_PORT: String(port) });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    const lines = out.stderr.trim().split('\n').filter((l) => l.startsWith('ingest:'));
    expect(lines).toEqual([`ingest: cannot reach billing at http://127.0.0.1:${port}/graphql (from BILLING_PORT): ECONNREFUSED; is it running? set --url or BILLING_URL to billing's /graphql endpoint (or BILLING_PORT to the port \`npm start\` was given); nothing was sent`]);
    // Pointed at something that answers but is not billing (its /health), it says so.
    const wrong = await ingest([file, '--buyer', 'nc-buyer', '--carrier', 'nc-right'], { BILLING_URL: new URL('/health', b.url).toString() });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/ingest: http:\/\/127\.0\.0\.1:\d+\/health \(from BILLING_URL\) answered HTTP \d+ but is not the billing API; set --url or BILLING_URL/);
    expect(await usage('nobody')).toEqual([]);
  });

  it('keeps its checkpoint outside the CDR folder (INGEST_CHECKPOINT_DIR), one per file', async () => {
    const folder = mkdtempSync(path.join(dir, 'spool-'));
    const file = path.join(folder, 'Master.csv');
    writeFileSync(file, 'uniqueid,src,dst,answer,end,billsec,duration\nspool-1,+15551230000,+442070001111,2026-10-08 00:00:00,,30,40\n');
    const before = readdirSync(state).length;
    const out = await ingest([file, '--buyer', 'nc-buyer', '--carrier', 'nc-right'], { BILLING_URL: b.url });
    expect(out.code).toBe(0);
    expect(readdirSync(folder)).toEqual(['Master.csv']);
    expect(readdirSync(state).filter((f) => f.startsWith('Master.csv-'))).toHaveLength(1);
    expect(readdirSync(state).length).toBe(before + 1);
  });

  it('a correction (the right carrier) is noticed and explained; --restart replaces the parked records and bills them; a billed record is never replaced', async () => {
    const file = cdrFile('wrong-carrier.csv', 'fix', 4);
    const common = [file, '--buyer', 'nc-buyer'];
    const first = await ingest([...common, '--carrier', 'nc-wrong'], { BILLING_URL: b.url });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/accepted 4: associated and rated 0, parked UNASSOCIATED 4 \(NO_MATCHING_SELECTION 4/);

    // Other contents under the same ids without a declared correction (no checkpoint of the earlier
    // import: as two switches reusing ids would look) never replace anything: conflicts.
    const undeclared = await ingest([...common, '--carrier', 'nc-right', '--restart', '--checkpoint', path.join(dir, 'elsewhere.ckpt')], { BILLING_URL: b.url });
    expect(undeclared.code).toBe(3);
    expect(undeclared.stderr).toMatch(/conflict: recordId fix-0 .*different contents/);
    expect((await usage('fix')).map((u) => [u.status, u.carrierId])).toEqual(Array(4).fill(['UNASSOCIATED', 'nc-wrong']));

    // The same file with the right carrier: not "nothing to do", but what changed and what to do; nothing sent.
    const noticed = await ingest([...common, '--carrier', 'nc-right'], { BILLING_URL: b.url });
    expect(noticed.code).toBe(2);
    expect(noticed.stderr).toMatch(/was imported completely with other options \(checkpoint [^)]+\): --carrier nc-wrong → nc-right/);
    expect(noticed.stderr).toMatch(/add --restart: records still parked UNASSOCIATED are replaced by the corrected ones/);
    expect((await usage('fix')).map((u) => [u.status, u.carrierId])).toEqual(Array(4).fill(['UNASSOCIATED', 'nc-wrong']));

    const fixed = await ingest([...common, '--carrier', 'nc-right', '--restart'], { BILLING_URL: b.url });
    expect(fixed.stderr).toMatch(/correction of the import made with other options \(--carrier nc-wrong → nc-right\)/);
    expect(fixed.stdout).toMatch(/accepted 4: associated and rated 4, parked UNASSOCIATED 0\n {2}duplicates 0\n {2}rejected 0/);
    expect(fixed.code).toBe(0);
    expect((await usage('fix')).map((u) => [u.status, u.carrierId])).toEqual(Array(4).fill(['RATED', 'nc-right']));

    // Once more with the same options: idempotent duplicates, never an error.
    const again = await ingest([...common, '--carrier', 'nc-right', '--restart'], { BILLING_URL: b.url });
    expect(again.stdout).toMatch(/accepted 0: .*\n {2}duplicates 4\n {2}rejected 0/);
    expect(again.code).toBe(0);

    // Billed records are not re-assigned by a later "correction": conflicts, kept as they were.
    const back = await ingest([...common, '--carrier', 'nc-wrong', '--restart'], { BILLING_URL: b.url });
    expect(back.code).toBe(3);
    expect(back.stderr).toMatch(/conflict: recordId fix-0 .*different contents/);
    expect((await usage('fix')).map((u) => [u.status, u.carrierId])).toEqual(Array(4).fill(['RATED', 'nc-right']));
  });
});
