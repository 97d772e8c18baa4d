// Claim 24 (on claim 19): "the usage data includes information identifying the telecommunication
// equipment measuring the telecommunication service provided to the Buyer by the first Carrier".
import { billingRecords, ingestOk, operatorToken, runAuction, startExchange, usageReporter, usageRecords, voiceUsage, type Auction, type Exchange } from './support/scenario';

describe('claim 24: each usage record names the equipment that measured it', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex);
  });
  afterAll(() => ex?.stop());

  it('keeps the measuring equipment id from the usage data through to the billing record', async () => {
    const op = await operatorToken(ex);
    const meters = { a: await usageReporter(ex, 'METER', 'sbc-lhr-a', ['buyer-1'], op), b: await usageReporter(ex, 'METER', 'sbc-lhr-b', ['buyer-1'], op) };
    await ingestOk(ex, [voiceUsage(a, { id: 'a-1', seconds: 60, source: 'MEASURING_EQUIPMENT', equipmentId: 'sbc-lhr-a' })], meters.a);
    await ingestOk(ex, [voiceUsage(a, { id: 'b-1', seconds: 120, atMin: 3, source: 'MEASURING_EQUIPMENT', equipmentId: 'sbc-lhr-b' })], meters.b);
    const usage = await usageRecords(ex, { requestId: a.requestId }, op);
    expect(usage.map((u) => [u.recordId, u.equipmentId, u.reportedBy])).toEqual([
      ['a-1', 'sbc-lhr-a', 'METER:sbc-lhr-a'],
      ['b-1', 'sbc-lhr-b', 'METER:sbc-lhr-b'],
    ]);
    const recs = await billingRecords(ex, a.requestId, op);
    expect(recs.map((r) => [r.usage.equipmentId, r.billableQuantity, r.amount.amount])).toEqual([
      ['sbc-lhr-a', '1', '0.500000'],
      ['sbc-lhr-b', '2', '1.000000'],
    ]);
  });
});
