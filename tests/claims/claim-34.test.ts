// Claim 34 (on claim 31): the billing computer receives usage data "from telecommunication equipment measuring the
// telecommunication service provided to the Buyer by the first Carrier" (the buyer's switch and its CDR export).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIngest } from '../../billing-subgraph/src/cli/ingest';
import { agentToken, billingRecords, billsOfPeriod, MINUTE, runAuction, startExchange, type Auction, type Exchange } from './support/scenario';

describe('claim 34: CDRs measured by the buyer\'s switch reach the billing computer and are billed', () => {
  let ex: Exchange;
  let a: Auction;
  let dir: string;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
    dir = mkdtempSync(path.join(tmpdir(), 'claim34-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ex?.stop();
  });

  it('imports the switch\'s CDR file (npm run ingest) through the API and rates each answered call', async () => {
    const at = (min: number) => new Date(Date.parse(a.interval.start) + min * MINUTE).toISOString().replace('T', ' ').slice(0, 19);
    const file = path.join(dir, 'switch-lhr.csv');
    writeFileSync(
      file,
      [
        'uniqueid,src,dst,answer,end,billsec,duration,switch',
        `lhr-1001,+15551230000,+442079460001,${at(1)},,240,251,sw-lhr-1`,
        `lhr-1002,+15551230000,+442079460002,${at(10)},,180,190,sw-lhr-1`,
        `lhr-1003,+15551230000,+442079460003,${at(20)},,0,25,sw-lhr-1`,
      ].join('\n') + '\n',
    );
    const summary = await runIngest({ file, url: ex.billingApi, token: await agentToken(ex), source: 'MEASURING_EQUIPMENT', buyerId: 'buyer-1', carrierId: 'carrier-low', batchSize: 500, checkpointPath: `${file}.checkpoint.json`, restart: false, progress: false, log: () => undefined });
    expect(summary).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0, skipped: 1, complete: true });
    const recs = await billingRecords(ex, a.requestId, await agentToken(ex));
    expect(recs.map((r) => [r.id, r.usage.equipmentId, r.billableBaseQuantity, r.amount.amount])).toEqual([
      // Record ids are scoped to the equipment (issue 12): two switches may number their CDRs alike.
      ['MEASURING_EQUIPMENT:lhr-1001|eq:sw-lhr-1', 'sw-lhr-1', '240', '2.000000'],
      ['MEASURING_EQUIPMENT:lhr-1002|eq:sw-lhr-1', 'sw-lhr-1', '180', '1.300000'],
    ]);
    expect((await billsOfPeriod(ex, a, await agentToken(ex)))[0].total.amount).toBe('2.30');
  });
});
