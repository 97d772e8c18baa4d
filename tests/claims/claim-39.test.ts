// Claim 39 (on claim 31): the usage data includes the type of service, the quality of service, the
// maximum and minimum bandwidth used, and the volume of traffic sent during specified intervals.
import { agentToken, billsOfPeriod, dataUsage, ingestOk, runAuction, startExchange, usageRecords, type Auction, type Exchange } from './support/scenario';

describe('claim 39: the billing computer takes DATA usage with QoS, bandwidth and interval volumes, billed per GB', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    a = await runAuction(ex, {
      serviceType: 'DATA',
      unit: 'GB',
      quantity: '1',
      bids: [
        { carrier: 'high', incentive: { currency: 'USD', ratePerUnit: '0.90' } },
        { carrier: 'low', incentive: { currency: 'USD', ratePerUnit: '0.80', dataChargeModel: 'VOLUME_GB' } },
      ],
    });
  });
  afterAll(() => ex?.stop());

  it('keeps every item of the records and bills their volume per GB', async () => {
    const agent = await agentToken(ex);
    const records = [
      dataUsage(a, { id: 'v-0', slot: 0, bytes: '1500000000', mbps: '40', qos: { latencyMs: 21, jitterMs: 2.5, lossPercent: 0.2 }, minBandwidthMbps: '12', maxBandwidthMbps: '55' }),
      dataUsage(a, { id: 'v-1', slot: 1, bytes: '750000000', mbps: '20', qos: { latencyMs: 19 }, minBandwidthMbps: '8', maxBandwidthMbps: '31.5' }),
    ];
    expect(await ingestOk(ex, records, agent)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const stored = await usageRecords(ex, { requestId: a.requestId }, agent);
    expect(stored.map((u) => ({ id: u.recordId, type: u.serviceType, bytes: u.quantity, latency: u.qos.latencyMs, loss: u.qos.lossPercent, min: u.minBandwidthMbps, max: u.maxBandwidthMbps, volume: u.volumeSamples }))).toEqual([
      { id: 'v-0', type: 'DATA', bytes: '1500000000', latency: 21, loss: 0.2, min: '12', max: '55', volume: [{ at: records[0].intervalStart, mbps: '40' }] },
      { id: 'v-1', type: 'DATA', bytes: '750000000', latency: 19, loss: null, min: '8', max: '31.5', volume: [{ at: records[1].intervalStart, mbps: '20' }] },
    ]);
    const [bill] = await billsOfPeriod(ex, a, agent);
    // 2.25 GB x 0.80 = 1.80, minus the 0.80 advance for the committed 1 GB
    expect(bill.lines.map((l: any) => [l.kind, l.unit, l.quantity, l.amount])).toEqual([
      ['USAGE', 'GB', '2.25', '1.800000'],
      ['ADVANCE_CREDIT', null, null, '-0.800000'],
    ]);
    expect(bill.total.amount).toBe('1.00');
  });
});
