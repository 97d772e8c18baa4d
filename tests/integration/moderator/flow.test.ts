import { errorCodes, gql, gqlOk, startModerator, token } from '../../support/harness';
import { bid, CLOSE, createRequest, CREATE_REQUEST, DAY, registerParties, requestInput } from './helpers';

describe('moderator: request → distribution → bids → ranking → selection → routing', () => {
  let app: Awaited<ReturnType<typeof startModerator>>;
  let parties: Awaited<ReturnType<typeof registerParties>>;
  beforeAll(async () => {
    app = await startModerator({ OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
    parties = await registerParties(app.url, {
      buyers: [
        { id: 'buyer-acme' },
        { id: 'buyer-globex', isReseller: true, endUsers: [{ id: 'eu-1', name: 'Hotel' }] },
        { id: 'buyer-other' },
      ],
      carriers: [
        { id: 'carrier-uk', coverage: ['44'] },
        { id: 'carrier-london', coverage: ['4420'] },
        { id: 'carrier-london-central', coverage: ['44207'] },
        { id: 'carrier-fr', coverage: ['33', '+4420'] },
        { id: 'carrier-us', coverage: ['1'] },
      ],
    });
  });
  afterAll(async () => {
    await app.conn.dropDatabase();
    await app.stop();
  });

  it('registers parties (ADMIN only) and shows each party only itself', async () => {
    const acme = parties.buyers['buyer-acme'];
    expect((await gqlOk(app.url, '{ buyers { id } }', {}, acme.token)).buyers).toEqual([{ id: 'buyer-acme' }]);
    const all = await gqlOk(app.url, '{ buyers { id } carriers { id coverage } }', {}, parties.admin);
    expect(all.buyers.map((b: { id: string }) => b.id).sort()).toEqual(['buyer-acme', 'buyer-globex', 'buyer-other']);
    expect(all.carriers.find((c: { id: string }) => c.id === 'carrier-fr').coverage).toEqual(['33', '4420']);
    const uk = parties.carriers['carrier-uk'];
    expect((await gqlOk(app.url, '{ carriers { id } carrier(id: "carrier-uk") { name } }', {}, uk.token))).toEqual({
      carriers: [{ id: 'carrier-uk' }],
      carrier: { name: 'Carrier carrier-uk' },
    });
    expect(errorCodes(await gql(app.url, '{ carrier(id: "carrier-fr") { id } }', {}, uk.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(app.url, '{ buyer(id: "buyer-globex") { id } }', {}, acme.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(app.url, '{ buyers { id } }', {}, uk.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(app.url, '{ buyers { id } }'))).toEqual(['UNAUTHENTICATED']);
    const r = await gql(app.url, `mutation { registerCarrier(input: { name: "X", coverage: ["44"] }) { id } }`, {}, acme.token);
    expect(errorCodes(r)).toEqual(['FORBIDDEN']);
    const bad = await gql(app.url, `mutation { registerCarrier(input: { name: "X", coverage: ["44", "0x"] }) { id } }`, {}, parties.admin);
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.coverage[1]' });
    const dup = await gql(app.url, `mutation { registerBuyer(input: { id: "buyer-acme", name: "Again" }) { id } }`, {}, parties.admin);
    expect(dup.errors?.[0]?.extensions).toEqual({ code: 'CONFLICT', field: 'input.id' });
    // A NUL in stored text is a coded refusal on every engine (PostgreSQL under FerretDB cannot store it).
    const nul = await gql(app.url, `mutation($i: RegisterBuyerInput!) { registerBuyer(input: $i) { id } }`, { i: { id: 'buyer-nul', name: 'Nul\u0000Corp' } }, parties.admin);
    expect(nul.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect((await gqlOk(app.url, '{ buyer(id: "buyer-nul") { id } }', {}, parties.admin)).buyer).toBeNull();
  });

  it('distributes to every carrier whose coverage is a prefix of each destination (prefix edges)', async () => {
    const acme = parties.buyers['buyer-acme'];
    const req = await createRequest(app.url, acme.token, { routes: [{ origin: '+1', destination: '+44207' }] });
    const d = await gqlOk(app.url, `query($id: ID!) { serviceRequest(id: $id) { routes { origin destination } distributions { carrier { id } distributedAt } } }`, { id: req.id }, acme.token);
    expect(d.serviceRequest.routes).toEqual([{ origin: '1', destination: '44207' }]);
    const ids = d.serviceRequest.distributions.map((x: { carrier: { id: string } }) => x.carrier.id).sort();
    // "44", "4420", "44207" and "4420" (fr) all serve 44207…; "1" does not.
    expect(ids).toEqual(['carrier-fr', 'carrier-london', 'carrier-london-central', 'carrier-uk']);
    const stored = await app.models.Distribution.find({ requestId: req.id }).lean();
    expect(stored).toHaveLength(4);

    // A destination shorter than a coverage prefix is not served by it: 4420 does not cover all of 44.
    const wide = await createRequest(app.url, acme.token, { routes: [{ origin: '1', destination: '44' }] });
    const w = await gqlOk(app.url, `query($id: ID!) { serviceRequest(id: $id) { distributions { carrier { id } } } }`, { id: wide.id }, acme.token);
    expect(w.serviceRequest.distributions.map((x: { carrier: { id: string } }) => x.carrier.id)).toEqual(['carrier-uk']);

    // Every segment must be covered: 44207 + 33 → only carrier-fr covers both.
    const two = await createRequest(app.url, acme.token, { routes: [{ origin: '1', destination: '44207' }, { origin: '1', destination: '331' }] });
    const t = await gqlOk(app.url, `query($id: ID!) { serviceRequest(id: $id) { distributions { carrier { id } } } }`, { id: two.id }, acme.token);
    expect(t.serviceRequest.distributions.map((x: { carrier: { id: string } }) => x.carrier.id)).toEqual(['carrier-fr']);

    // openRequests: a carrier sees exactly the requests distributed to it.
    const central = parties.carriers['carrier-london-central'];
    const open = await gqlOk(app.url, '{ openRequests { id buyer { id } } }', {}, central.token);
    expect(open.openRequests).toEqual([{ id: req.id, buyer: null }]);
    const us = parties.carriers['carrier-us'];
    expect((await gqlOk(app.url, '{ openRequests { id } }', {}, us.token)).openRequests).toEqual([]);
    expect(errorCodes(await gql(app.url, `query($id: ID!) { serviceRequest(id: $id) { id } }`, { id: req.id }, us.token))).toEqual(['FORBIDDEN']);
  });

  it.each([
    ['input.interval.start', { interval: { start: new Date(Date.now() - DAY).toISOString(), end: new Date(Date.now() + DAY).toISOString() }, biddingClosesAt: new Date(Date.now() + 1000).toISOString() }],
    ['input.interval.end', { interval: { start: new Date(Date.now() + 2 * DAY).toISOString(), end: new Date(Date.now() + 2 * DAY).toISOString() } }],
    ['input.routes[0].destination', { routes: [{ origin: '1', destination: '044' }] }],
    ['input.routes[1].origin', { routes: [{ origin: '1', destination: '44' }, { origin: '1a', destination: '33' }] }],
    ['input.quantity', { quantity: '0' }],
    ['input.quantity', { quantity: '-5' }],
    ['input.unit', { unit: 'GB' }],
    ['input.biddingClosesAt', { biddingClosesAt: new Date(Date.now() + 3 * DAY).toISOString() }],
    ['input.qosRequirements.minAsrPercent', { qosRequirements: { minAsrPercent: 140 } }],
    ['input.endUserId', { endUserId: 'eu-1' }],
  ])('rejects a request with a bad %s and stores nothing', async (field, overrides) => {
    const before = await app.models.ServiceRequest.countDocuments();
    const dists = await app.models.Distribution.countDocuments();
    const r = await gql(app.url, CREATE_REQUEST, { input: requestInput(overrides) }, parties.buyers['buyer-acme'].token);
    expect(r.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(r.data).toBeNull();
    expect(await app.models.ServiceRequest.countDocuments()).toBe(before);
    expect(await app.models.Distribution.countDocuments()).toBe(dists);
  });

  it('rejects an unknown unit enum value without storing anything', async () => {
    const before = await app.models.ServiceRequest.countDocuments();
    const r = await gql(app.url, CREATE_REQUEST, { input: requestInput({ unit: 'LITRE' }) }, parties.buyers['buyer-acme'].token);
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    expect(await app.models.ServiceRequest.countDocuments()).toBe(before);
  });

  it('lets a reseller make a request for one of its end users', async () => {
    const globex = parties.buyers['buyer-globex'];
    const req = await createRequest(app.url, globex.token, { endUserId: 'eu-1' });
    const d = await gqlOk(app.url, `query($id: ID!) { serviceRequest(id: $id) { endUserId buyer { id isReseller endUsers { id } } } }`, { id: req.id }, globex.token);
    expect(d.serviceRequest).toEqual({ endUserId: 'eu-1', buyer: { id: 'buyer-globex', isReseller: true, endUsers: [{ id: 'eu-1' }] } });
    const bad = await gql(app.url, CREATE_REQUEST, { input: requestInput({ endUserId: 'eu-404' }) }, globex.token);
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.endUserId' });
  });

  it('runs the auction: bids, replacement with history, withdrawal, ranking, close, selection, routing', async () => {
    const acme = parties.buyers['buyer-acme'];
    const { uk, london, fr } = { uk: parties.carriers['carrier-uk'], london: parties.carriers['carrier-london'], fr: parties.carriers['carrier-fr'] };
    const req = await createRequest(app.url, acme.token, { quantity: '1000', routes: [{ origin: '1', destination: '4420' }] });
    expect(req.distributionCount).toBe(3);

    const b1 = await bid(app.url, uk.token, req.id, '0.0120');
    const b2 = await bid(app.url, london.token, req.id, '0.0100', { incentive: { currency: 'GBP', ratePerUnit: '0.0100', setupFee: '5' } });
    const b3 = await bid(app.url, fr.token, req.id, '0.0110');
    // uk replaces its bid: cheaper now; the old one is kept as REPLACED.
    const b1b = await bid(app.url, uk.token, req.id, '0.0090');
    // fr withdraws.
    const w = await gqlOk(app.url, `mutation($id: ID!) { withdrawBid(bidId: $id) { id status withdrawnAt } }`, { id: b3.id }, fr.token);
    expect(w.withdrawBid.status).toBe('WITHDRAWN');
    // Only the owner may withdraw; a withdrawn bid cannot be withdrawn again.
    expect(errorCodes(await gql(app.url, `mutation($id: ID!) { withdrawBid(bidId: $id) { id } }`, { id: b2.id }, uk.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(app.url, `mutation($id: ID!) { withdrawBid(bidId: $id) { id } }`, { id: b3.id }, fr.token))).toEqual(['CONFLICT']);

    const view = await gqlOk(
      app.url,
      `query($id: ID!) { serviceRequest(id: $id) { currency
          bids { id status carrier { id } replaces { id } replacedBy { id } }
          ranking { rank bid { id carrier { id } } estimatedCost { total usage setupFee effectiveRate currency } } } }`,
      { id: req.id },
      acme.token,
    );
    const sr = view.serviceRequest;
    expect(sr.currency).toBe('GBP');
    const statuses = Object.fromEntries(sr.bids.map((b: { id: string; status: string }) => [b.id, b.status]));
    expect(statuses).toEqual({ [b1.id]: 'REPLACED', [b2.id]: 'ACTIVE', [b3.id]: 'WITHDRAWN', [b1b.id]: 'ACTIVE' });
    expect(sr.bids.find((b: { id: string }) => b.id === b1.id).replacedBy).toEqual({ id: b1b.id });
    expect(sr.ranking).toEqual([
      { rank: 1, bid: { id: b1b.id, carrier: { id: 'carrier-uk' } }, estimatedCost: { total: '9', usage: '9', setupFee: '0', effectiveRate: '0.009', currency: 'GBP' } },
      { rank: 2, bid: { id: b2.id, carrier: { id: 'carrier-london' } }, estimatedCost: { total: '15', usage: '10', setupFee: '5', effectiveRate: '0.015', currency: 'GBP' } },
    ]);
    // Carriers do not get the full ranking.
    expect(errorCodes(await gql(app.url, `query($id: ID!) { serviceRequest(id: $id) { ranking { rank } } }`, { id: req.id }, uk.token))).toEqual(['FORBIDDEN']);
    // A bid in another currency is refused, naming the field.
    const eur = await gql(app.url, `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`, { input: { requestId: req.id, incentive: { currency: 'EUR', ratePerUnit: '0.001' } } }, fr.token);
    expect(eur.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.incentive.currency' });
    // A carrier the request was not distributed to cannot bid.
    const us = parties.carriers['carrier-us'];
    expect(errorCodes(await gql(app.url, `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`, { input: { requestId: req.id, incentive: { currency: 'GBP', ratePerUnit: '0.001' } } }, us.token))).toEqual(['FORBIDDEN']);
    // Only the buyer of the request (or ADMIN) closes it.
    expect(errorCodes(await gql(app.url, CLOSE, { id: req.id }, parties.buyers['buyer-other'].token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(app.url, CLOSE, { id: req.id }, uk.token))).toEqual(['FORBIDDEN']);

    const closed = (await gqlOk(app.url, CLOSE, { id: req.id }, acme.token)).closeBidding;
    expect(closed.status).toBe('AWARDED');
    expect(closed.selection.carrier).toEqual({ id: 'carrier-uk' });
    expect(closed.selection.bid).toEqual({ id: b1b.id });
    // Closing again returns the same outcome; bids after the close are refused.
    expect((await gqlOk(app.url, CLOSE, { id: req.id }, acme.token)).closeBidding.selection.id).toBe(closed.selection.id);
    expect(errorCodes(await gql(app.url, `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id } }`, { input: { requestId: req.id, incentive: { currency: 'GBP', ratePerUnit: '0.001' } } }, london.token))).toEqual(['CONFLICT']);
    expect(await app.models.Selection.countDocuments({ requestId: req.id })).toBe(1);

    // The winner sees the selection, the loser does not; billingDelivery is for ADMIN only.
    const q = `query($id: ID!) { serviceRequest(id: $id) { status selection { id carrier { id } billingDelivery { state attempts } } } }`;
    expect((await gqlOk(app.url, q, { id: req.id }, uk.token)).serviceRequest.selection).toEqual({ id: closed.selection.id, carrier: { id: 'carrier-uk' }, billingDelivery: null });
    expect((await gqlOk(app.url, q, { id: req.id }, london.token)).serviceRequest).toEqual({ status: 'AWARDED', selection: null });
    expect((await gqlOk(app.url, q, { id: req.id }, parties.admin)).serviceRequest.selection.billingDelivery).toEqual({ state: 'PENDING', attempts: 0 });

    // Routing: the buyer's switch routes 44207… to the winner during the interval.
    const at = new Date(Date.parse(req.interval.start) + DAY).toISOString();
    const route = await gqlOk(app.url, `query($d: String!, $at: DateTime) { routeCall(destination: $d, at: $at) { carrier { id } selection { id } ratePerUnit currency matchedPrefix reason } }`, { d: '+442079460000', at }, acme.token);
    expect(route.routeCall).toEqual({ carrier: { id: 'carrier-uk' }, selection: { id: closed.selection.id }, ratePerUnit: '0.009', currency: 'GBP', matchedPrefix: '4420', reason: null });
    const miss = await gqlOk(app.url, `query($d: String!) { routeCall(destination: $d) { carrier { id } reason } }`, { d: '442079460000' }, acme.token);
    expect(miss.routeCall).toEqual({ carrier: null, reason: 'NO_ACTIVE_SELECTION_AT_TIME' });
    // Another buyer's switch has no such route.
    const other = await gqlOk(app.url, `query($d: String!, $at: DateTime) { routeCall(destination: $d, at: $at) { carrier { id } reason } }`, { d: '442079460000', at }, parties.buyers['buyer-other'].token);
    expect(other.routeCall).toEqual({ carrier: null, reason: 'NO_ROUTE_FOR_DESTINATION' });
    expect(errorCodes(await gql(app.url, `{ routeCall(destination: "44") { reason } }`, {}, uk.token))).toEqual(['FORBIDDEN']);
  });

  it('ends NO_AWARD without a valid bid, and cancels only OPEN requests', async () => {
    const acme = parties.buyers['buyer-acme'];
    const req = await createRequest(app.url, acme.token, { qosRequirements: { minAsrPercent: 50 } });
    // A bid silent about the required ASR fails the QoS requirement and is not ranked.
    await bid(app.url, parties.carriers['carrier-uk'].token, req.id, '0.001');
    const closed = (await gqlOk(app.url, CLOSE, { id: req.id }, acme.token)).closeBidding;
    expect(closed).toEqual({ id: req.id, status: 'NO_AWARD', selection: null });
    expect(await app.models.Selection.countDocuments({ requestId: req.id })).toBe(0);
    const cancel = `mutation($id: ID!) { cancelServiceRequest(id: $id) { id status } }`;
    expect(errorCodes(await gql(app.url, cancel, { id: req.id }, acme.token))).toEqual(['CONFLICT']);
    const open = await createRequest(app.url, acme.token);
    expect(errorCodes(await gql(app.url, cancel, { id: open.id }, parties.buyers['buyer-other'].token))).toEqual(['FORBIDDEN']);
    expect((await gqlOk(app.url, cancel, { id: open.id }, acme.token)).cancelServiceRequest).toEqual({ id: open.id, status: 'CANCELLED' });
    expect(errorCodes(await gql(app.url, CLOSE, { id: open.id }, acme.token))).toEqual(['CONFLICT']);
    // Once biddingClosesAt has passed, the request is being awarded and can no longer be cancelled.
    const late = await createRequest(app.url, acme.token);
    await app.models.ServiceRequest.updateOne({ _id: late.id }, { $set: { biddingClosesAt: new Date() } });
    expect(errorCodes(await gql(app.url, cancel, { id: late.id }, acme.token))).toEqual(['CONFLICT']);
    expect((await gqlOk(app.url, CLOSE, { id: late.id }, acme.token)).closeBidding.status).toBe('NO_AWARD');
  });

  it('lists a buyer\'s own requests; operators filter by buyer and status', async () => {
    const other = parties.buyers['buyer-other'];
    const mine = await createRequest(app.url, other.token);
    const list = await gqlOk(app.url, `{ serviceRequests { id } }`, {}, other.token);
    expect(list.serviceRequests).toEqual([{ id: mine.id }]);
    expect(errorCodes(await gql(app.url, `{ serviceRequests(filter: { buyerId: "buyer-acme" }) { id } }`, {}, other.token))).toEqual(['FORBIDDEN']);
    const adm = await gqlOk(app.url, `{ serviceRequests(filter: { buyerId: "buyer-other", status: OPEN }) { id status } }`, {}, parties.admin);
    expect(adm.serviceRequests).toEqual([{ id: mine.id, status: 'OPEN' }]);
    expect(errorCodes(await gql(app.url, `{ serviceRequests { id } }`, {}, parties.carriers['carrier-uk'].token))).toEqual(['FORBIDDEN']);
  });

  it('relays bills from the billing agent to the buyer and the carrier, idempotently by billId', async () => {
    const agent = await token('BILLING_AGENT', 'billing');
    const m = `mutation($input: BillRelayInput!) { relayBill(input: $input) { id billId relayedAt recipients } }`;
    const input = { billId: 'bill-1', billNumber: 'B-2026-0001', kind: 'INVOICE', buyerId: 'buyer-acme', carrierId: 'carrier-uk', total: { amount: '12.50', currency: 'GBP' }, url: 'https://billing.example/bills/bill-1' };
    const first = (await gqlOk(app.url, m, { input }, agent)).relayBill;
    expect(first.recipients).toEqual(['buyer-acme', 'carrier-uk']);
    const again = (await gqlOk(app.url, m, { input }, agent)).relayBill;
    expect(again).toEqual(first);
    expect(await app.models.BillRelay.countDocuments({ billId: 'bill-1' })).toBe(1);
    expect(errorCodes(await gql(app.url, m, { input }, parties.admin))).toEqual(['FORBIDDEN']);
    const bad = await gql(app.url, m, { input: { ...input, billId: 'bill-2', total: { amount: '1e3', currency: 'GBP' } } }, agent);
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.total.amount' });
    const q = `{ billRelays { billId total { amount currency } } }`;
    expect((await gqlOk(app.url, q, {}, parties.buyers['buyer-acme'].token)).billRelays).toEqual([{ billId: 'bill-1', total: { amount: '12.5', currency: 'GBP' } }]);
    expect((await gqlOk(app.url, q, {}, parties.carriers['carrier-uk'].token)).billRelays).toHaveLength(1);
    expect((await gqlOk(app.url, q, {}, parties.carriers['carrier-fr'].token)).billRelays).toEqual([]);
    expect((await gqlOk(app.url, q, {}, parties.buyers['buyer-other'].token)).billRelays).toEqual([]);
  });
});
