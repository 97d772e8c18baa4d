import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIngest, summaryText } from '../../../billing-subgraph/src/cli/ingest';
import { startBilling } from '../../support/harness';
import { agentToken, billingRecords, recordSelection, type Billing } from './fixtures';

describe('CDR CSV import (npm run ingest) through the billing API', () => {
  let b: Billing;
  let dir: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    dir = mkdtempSync(path.join(tmpdir(), 'cdr-'));
    await recordSelection(b, { selectionId: 'cdr-sel', requestId: 'cdr-req', buyerId: 'cdr-buyer', carrierId: 'cdr-carrier', routes: [{ origin: 'US', destination: '44' }], incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function csv(rows: number): string {
    const lines = ['uniqueid,src,dst,answer,end,billsec,duration,switch'];
    for (let i = 0; i < rows; i++) {
      const t = new Date(Date.UTC(2026, 9, 7, 0, i)).toISOString().replace('T', ' ').slice(0, 19);
      lines.push(`call-${i},+15551230000,+44207000${String(i).padStart(4, '0')},${t},,${10 + i},${20 + i},sw-1`);
    }
    lines.push('call-noanswer,+15551230000,+442070009999,2026-10-07 03:00:00,,0,12,sw-1');
    lines.push('call-bad,+15551230000,LONDON,2026-10-07 03:00:00,,30,30,sw-1');
    return lines.join('\n') + '\n';
  }

  it('imports in batches, resumes after an interruption without duplicates, and summarises', async () => {
    const file = path.join(dir, 'cdrs.csv');
    writeFileSync(file, csv(25));
    const base = { file, url: b.url, token: await agentToken(), source: 'MEASURING_EQUIPMENT' as const, buyerId: 'cdr-buyer', carrierId: 'cdr-carrier', batchSize: 10, checkpointPath: `${file}.ingest-checkpoint.json`, restart: false, progress: false, log: () => undefined };
    const first = await runIngest({ ...base, maxBatches: 1 });
    expect(first).toMatchObject({ rows: 10, accepted: 10, duplicates: 0, rejected: 0, complete: false });
    expect(JSON.parse(readFileSync(base.checkpointPath, 'utf8')).rowsDone).toBe(10);

    const second = await runIngest(base);
    expect(second).toMatchObject({ rows: 27, accepted: 25, duplicates: 0, rejected: 1, skipped: 1, resumedFrom: 10, complete: true });
    expect(second.rejections).toEqual([{ line: 28, recordId: null, reason: 'called_number "LONDON" is not a telephone number' }]);

    // running the whole file again (checkpoint ignored) only finds duplicates
    const again = await runIngest({ ...base, restart: true });
    expect(again).toMatchObject({ accepted: 0, duplicates: 25, rejected: 1, skipped: 1 });
    const recs = await billingRecords(b, 'cdr-req');
    expect(recs).toHaveLength(25);
    // billsec wins over duration: call-0 is 10 s at 0.6/min = 0.10
    expect(recs.find((r) => r.id.split('|')[0] === 'MEASURING_EQUIPMENT:call-0').amount.amount).toBe('0.100000');
    expect(existsSync(base.checkpointPath)).toBe(true);
  });

  it('a resumed run tells the batch the interrupted run had already stored apart from new rows', async () => {
    const file = path.join(dir, 'inflight.csv');
    writeFileSync(file, csv(25).replace(/call-/g, 'flight-'));
    const base = { file, url: b.url, token: await agentToken(), source: 'MEASURING_EQUIPMENT' as const, buyerId: 'cdr-buyer', carrierId: 'cdr-carrier', batchSize: 10, checkpointPath: `${file}.ingest-checkpoint.json`, restart: false, progress: false };
    await runIngest({ ...base, maxBatches: 1, log: () => undefined });
    // The state a crash leaves between the API storing a batch and the checkpoint recording it.
    const cp = JSON.parse(readFileSync(base.checkpointPath, 'utf8'));
    writeFileSync(base.checkpointPath, JSON.stringify({ ...cp, rowsDone: 0, accepted: 0, inFlight: { from: 1, to: 10 } }));
    const lines: string[] = [];
    const resumed = await runIngest({ ...base, batchSize: 7, log: (l) => lines.push(l) });
    expect(resumed).toMatchObject({ accepted: 15, duplicates: 10, alreadyStored: 10, rejected: 1, skipped: 1, complete: true });
    expect(lines.join('\n')).toMatch(/rows 1-10 were in flight when the last run stopped: those already stored count as duplicates, never twice/);
    expect(summaryText(resumed)).toMatch(/duplicates 10 \(10 of them stored by the interrupted run: the batch in flight when it stopped, not lost\)/);
  });
});
