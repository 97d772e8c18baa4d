// Claim 26 (on claim 19): usage data includes "the type of telecommunication service used; the quality of service
// provided; the maximum and minimum bandwidth used; and the volume of ... traffic ... during specified intervals".
import { billingPeriod, billsOfPeriod, dataUsage, ingestOk, MINUTE, operatorToken, runAuction, startExchange, usageRecords, type Auction, type Exchange } from './support/scenario';

describe('claim 26: DATA usage with QoS, bandwidth range and per-interval traffic volume, billed at the 95th percentile', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange();
    // burstable transit: 10 Mbps committed, charged per Mbps of the 95th-percentile 5-minute sample
    a = await runAuction(ex, {
      serviceType: 'DATA',
      unit: 'MBPS',
      quantity: '10',
      bids: [
        { carrier: 'high', incentive: { currency: 'USD', ratePerUnit: '3.00', dataChargeModel: 'PERCENTILE_95' } },
        { carrier: 'low', incentive: { currency: 'USD', ratePerUnit: '2.00', dataChargeModel: 'PERCENTILE_95' } },
      ],
    });
  });
  afterAll(() => ex?.stop());

  it('stores every item of the usage data with the record', async () => {
    const op = await operatorToken(ex);
    // twenty 5-minute intervals at 1..20 Mbps
    const records = Array.from({ length: 20 }, (_, i) =>
      dataUsage(a, { id: `d-${i}`, slot: i, bytes: String((i + 1) * 37_500_000), mbps: String(i + 1), qos: { latencyMs: 18.5, jitterMs: 1.2, lossPercent: 0.01 }, minBandwidthMbps: '0.5', maxBandwidthMbps: String(i + 1.5) }),
    );
    expect(await ingestOk(ex, records, op)).toEqual({ accepted: 20, duplicates: 0, rejected: [] });
    const [first] = await usageRecords(ex, { recordId: 'd-0' }, op);
    expect(first).toMatchObject({
      serviceType: 'DATA',
      quantity: '37500000',
      qos: { latencyMs: 18.5, jitterMs: 1.2, lossPercent: 0.01, asrPercent: null },
      minBandwidthMbps: '0.5',
      maxBandwidthMbps: '1.5',
      volumeSamples: [{ at: records[0].intervalStart, mbps: '1' }],
      requestId: a.requestId,
      status: 'RATED',
    });
  });

  it('bills the period from the per-interval volumes: the top 5 % dropped, 19 Mbps at 2.00', async () => {
    // The percentile counts every 5-minute slot of the selection's interval in the period (a slot
    // nobody reported is zero): the same meter also reports 19 Mbps for every slot of the next 23
    // hours (usage may not end more than a day ahead); the rest of the interval is missing.
    const period = billingPeriod(a.interval.start);
    const from = Math.max(Date.parse(period.start), Date.parse(a.interval.start));
    const to = Math.min(Date.parse(period.end), Date.parse(a.interval.end));
    const volumeSamples = [];
    const covered = Math.min(to, Date.now() + 23 * 60 * MINUTE);
    const slots = Math.ceil(to / (5 * MINUTE)) - Math.floor(from / (5 * MINUTE));
    for (let slot = Math.floor(from / (5 * MINUTE)) * 5 * MINUTE; slot < covered; slot += 5 * MINUTE) volumeSamples.push({ at: new Date(Math.max(slot, from)).toISOString(), mbps: '19' });
    const base = { ...dataUsage(a, { id: 'd-base', slot: 0, bytes: '1000000' }), intervalStart: new Date(from).toISOString(), intervalEnd: new Date(covered).toISOString(), volumeSamples };
    expect(await ingestOk(ex, [base], await operatorToken(ex))).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const [bill] = await billsOfPeriod(ex, a, await operatorToken(ex));
    expect(bill.lines.map((l: any) => [l.kind, l.unit, l.quantity, l.ratePerUnit, l.amount])).toEqual([
      ['USAGE', 'MBPS_P95', '19', '2', '38.000000'],
      ['ADVANCE_CREDIT', null, null, null, '-20.000000'], // the advance billed the committed 10 Mbps
    ]);
    expect(bill.total).toEqual({ amount: '18.00', currency: 'USD' });
    expect(bill.lines[0].description).toMatch(new RegExp(`^95th percentile 19 Mbps of ${slots} five-minute slots \\(${slots - volumeSamples.length} without samples counted as zero, ${Math.floor(slots / 20)} highest dropped; 1 meter summed per slot, 20 duplicate samples counted once\\)`));
  });
});
