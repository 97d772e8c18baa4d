// The database connection drops in the middle of an ingestion batch: the CDR import client
// (`npm run ingest`, runIngest) gets an error for that batch and sends it again. Two drops:
//  - batch 2: the usage insert reached the database but its answer was lost (the retry finds
//    every record already there);
//  - batch 3: the billing-record insert never reached the database, after the batch's usage was
//    stored and its tier counter advanced (the records are left for the crash recovery).
// Afterwards: every source row is stored once, rated once, and the graduated tiers were applied
// to the true cumulative quantity (a counter advanced twice would bill batch 4 too cheaply: the
// tier boundary lies in batch 4).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIngest } from '../../../billing-subgraph/src/cli/ingest';
import { Dec } from '../../../billing-subgraph/src/domain';
import { recoverUnratedUsage } from '../../../billing-subgraph/src/services/usage';
import { gqlOk, mongoUri, startBilling, token } from '../../support/harness';
import { RECORD_SELECTION, selectionInput } from '../billing/fixtures';
import { MongoProxy } from './support/mongo-proxy';

const ROWS = 2000;
const BATCH = 500;
const SELECTION = 'drop-sel';

/** Seconds of call i (every call is answered; 10..69 s). */
const secondsOf = (i: number) => 10 + (i % 60);

function csv(): string {
  const lines = ['uniqueid,src,dst,answer,end,billsec,duration,switch'];
  for (let i = 0; i < ROWS; i++) {
    const t = new Date(Date.UTC(2026, 9, 2, 0, 0, 0) + i * 60_000).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`drop-${i},+15551230000,+4420700${String(i).padStart(5, '0')},${t},,${secondsOf(i)},${secondsOf(i) + 5},sw-1`);
  }
  return lines.join('\n') + '\n';
}

describe('failure: database connection dropped in the middle of ingestion batches', () => {
  let proxy: MongoProxy;
  let b: Awaited<ReturnType<typeof startBilling>>;
  let dir: string;

  beforeAll(async () => {
    proxy = await MongoProxy.forUri(mongoUri()).start();
    // Workers off: the crash recovery is run below, at a chosen instant.
    b = await startBilling({ MONGODB_URI: proxy.uri(mongoUri()), WORKERS: 'false' });
    dir = mkdtempSync(path.join(tmpdir(), 'db-drop-'));
    // 0.60/min up to 1,200 minutes, 0.30/min beyond; per-second increments (exact at 6 places).
    // The file holds 1,310 minutes; the first three batches 987.5.
    await gqlOk(
      b.url,
      RECORD_SELECTION,
      {
        input: selectionInput({
          selectionId: SELECTION,
          requestId: 'drop-req',
          buyerId: 'drop-buyer',
          carrierId: 'drop-carrier',
          routes: [{ origin: 'US', destination: '44' }],
          incentive: { currency: 'USD', ratePerUnit: '0.6', tiers: [{ fromQuantity: '1200', ratePerUnit: '0.3' }], billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } },
        }),
      },
      await token('MODERATOR', 'moderator'),
    );
  }, 60_000);

  afterAll(async () => {
    await b?.conn.dropDatabase().catch(() => undefined);
    await b?.stop();
    await proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('stores and rates every source row exactly once after the client retried the broken batches', async () => {
    const file = path.join(dir, 'cdrs.csv');
    writeFileSync(file, csv());
    let drops = 0;
    proxy.arm({ match: (c) => c.command === 'insert' && c.collection === 'usage_records', skip: 1, then: () => drops++ });
    // (Batch 2's retry rates nothing: all duplicates. So batch 3's is the second billing-record insert.)
    proxy.arm({ match: (c) => c.command === 'insert' && c.collection === 'billing_records', skip: 1, when: 'before', then: () => drops++ });

    const summary = await runIngest({
      file,
      url: b.url,
      token: await token('BILLING_AGENT', 'agent-drop'),
      source: 'MEASURING_EQUIPMENT',
      buyerId: 'drop-buyer',
      carrierId: 'drop-carrier',
      batchSize: BATCH,
      checkpointPath: `${file}.checkpoint.json`,
      restart: true,
      progress: false,
      log: () => undefined,
    });
    expect(drops).toBe(2);
    // The client's account of the file: every row either accepted or (on the retry) a duplicate.
    expect(summary).toMatchObject({ rows: ROWS, rejected: 0, skipped: 0, complete: true });
    expect(summary.accepted + summary.duplicates).toBe(ROWS);
    // Batch 2 landed before its answer was lost: its retry found all of it.
    expect(summary.duplicates).toBeGreaterThanOrEqual(BATCH);

    // Stored once: count and ids against the source.
    const ids = (await b.models.Usage.find({}, { _id: 1 }).lean()).map((u) => u._id.split('|')[0]).sort();
    expect(ids).toEqual(Array.from({ length: ROWS }, (_, i) => `MEASURING_EQUIPMENT:drop-${i}`).sort());

    // The interrupted ratings are completed by the crash recovery (due a minute after the batch).
    const missingBefore = ROWS - (await b.models.BillingRecord.countDocuments());
    expect(missingBefore).toBeGreaterThan(0);
    expect(await recoverUnratedUsage(b.deps, new Date(Date.now() + 120_000))).toBe(missingBefore);
    expect(await recoverUnratedUsage(b.deps, new Date(Date.now() + 120_000))).toBe(0);

    // Rated once: one billing record per usage record.
    const records = await b.models.BillingRecord.find({}).lean();
    expect(records.map((r) => r._id.split('|')[0]).sort()).toEqual(ids);

    // Rated on the true cumulative quantity: the tier counter ends at the total billable seconds
    // and the total is exactly what graduated pricing of that quantity costs.
    const seconds = Array.from({ length: ROWS }, (_, i) => secondsOf(i)).reduce((x, y) => x + y, 0);
    const minutes = new Dec(seconds).div(60);
    const billed = records.reduce((acc, r) => acc.plus(r.billableQuantity), new Dec(0));
    expect(billed.toFixed(6)).toBe(minutes.toFixed(6));
    const counter = await b.models.Slot.findOne({ key: new RegExp(`^tier\\|${SELECTION}\\|`) }).sort({ seq: -1 }).lean();
    expect(counter!.value).toBe(String(seconds));
    const expected = new Dec(1200).times('0.6').plus(minutes.minus(1200).times('0.3'));
    const total = records.reduce((acc, r) => acc.plus(r.amount), new Dec(0));
    expect(total.toFixed(6)).toBe(expected.toFixed(6));

    // The service kept working through it: the next call is answered.
    const v = await gqlOk(b.url, '{ billingVersion }');
    expect(v.billingVersion).toEqual(expect.any(String));
  }, 120_000);
});
