// Claim 1: bill a Buyer for calls routed to the first Carrier chosen in the Moderator's bidding — the Moderator
// turns request, buyer, first carrier and incentive into a stored billing record and a bill (billing adjunct).
import { billingPeriod, billingRecords, generateBills, ingestOk, runAuction, startExchange, voiceUsage, type Auction, type Exchange } from './support/scenario';

describe('claim 1: auction → selection → routed calls → billing record → bill for the request', () => {
  let ex: Exchange;
  let a: Auction;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
    a = await runAuction(ex, { watch: true });
  });
  afterAll(() => ex?.stop());

  it('a.–b. the request is received and distributed to the carriers covering its route', () => {
    expect(a.observed.distributed).toMatchObject({ request: { id: a.requestId, buyer: null } });
  });

  it('c.–e. carriers bid with economic incentives, which the Moderator stores, ranks and broadcasts to the other carriers', () => {
    // the last bidder (carrier-low) received carrier-high's 0.60 incentive, anonymised, before bidding
    expect(a.observed.broadcast).toMatchObject({ requestId: a.requestId, kind: 'ACCEPTED', bid: null, board: { view: 'ANONYMOUS', bidCount: 1, bestRate: '0.6', currency: 'USD' } });
    expect(a.observed.broadcast!.board.entries).toEqual([
      { rank: 1, pseudonym: expect.stringMatching(/^Bidder-/), ratePerUnit: '0.6', estimatedCost: '1.2', isViewer: false, carrier: null },
    ]);
    // carrier selection data: 2 min at 0.50 = 1.00 beats 2 min at 0.60 = 1.20
    expect(a.ranking.map((r) => [r.rank, r.bid.carrier.id, r.estimatedCost.total])).toEqual([
      [1, 'carrier-low', '1'],
      [2, 'carrier-high', '1.2'],
    ]);
  });

  it('the first carrier is selected by economic choice and the buyer\'s call attempts are routed to it', () => {
    expect(a.winner.id).toBe('carrier-low');
    expect(a.routed).toMatchObject({ carrier: { id: 'carrier-low' }, matchedPrefix: '4420', ratePerUnit: '0.5', currency: 'USD' });
  });

  it('f. request, buyer, first carrier and incentive become a billing record stored in the billing database', async () => {
    expect(a.selectionRecord).toMatchObject({
      requestId: a.requestId,
      buyerId: 'buyer-1',
      carrierId: 'carrier-low',
      quantity: '2',
      unit: 'MINUTE',
      routes: [{ origin: '1', destination: '4420' }],
      interval: a.interval,
      incentive: { currency: 'USD', ratePerUnit: '0.5', tiers: [{ fromQuantity: '5', ratePerUnit: '0.4' }], billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 } },
    });
    expect(await ex.billing.models.Selection.countDocuments({ _id: a.selectionId, requestId: a.requestId })).toBe(1);
    // the routed calls' usage is rated under the winning incentive into billing records
    const admin = await ex.billToken('ADMIN', 'moderator-operator');
    expect(await ingestOk(ex, [voiceUsage(a, { id: 'call-1', seconds: 95 })], admin)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const records = await billingRecords(ex, a.requestId, admin);
    // 95 s under 30/6 = 96 s = 1.6 min x 0.50
    expect(records.map((r) => [r.requestId, r.buyerId, r.carrierId, r.billableBaseQuantity, r.ratesPerUnit, r.amount.amount])).toEqual([
      [a.requestId, 'buyer-1', 'carrier-low', '96', ['0.5'], '0.800000'],
    ]);
    expect(await ex.billing.models.BillingRecord.countDocuments({ requestId: a.requestId })).toBe(1);
  });

  it('g. the billing record becomes bills for telecommunication service associated with the request', async () => {
    // at selection: the ADVANCE bill of the requested 2 min
    expect(a.advanceBill).toMatchObject({ kind: 'ADVANCE', request: { id: a.requestId }, buyer: { id: 'buyer-1' }, carrier: { id: 'carrier-low' }, total: { amount: '1.00', currency: 'USD' } });
    // for the period: the PERIODIC bill of the usage, the advance credited
    const admin = await ex.billToken('ADMIN', 'moderator-operator');
    const run = await generateBills(ex, billingPeriod(a.interval.start), admin);
    expect(run.bills).toHaveLength(1);
    expect(run.bills[0]).toMatchObject({ kind: 'PERIODIC', request: { id: a.requestId }, buyer: { id: 'buyer-1' }, carrier: { id: 'carrier-low' }, recordCount: 1 });
    expect(run.bills[0].lines.map((l: any) => [l.kind, l.amount])).toEqual([
      ['USAGE', '0.800000'],
      ['ADVANCE_CREDIT', '-0.800000'],
    ]);
    expect(run.bills[0].total).toEqual({ amount: '0.00', currency: 'USD' });
  });
});
