// The whole exchange story through the gateway only (HTTP and graphql-ws to the gateway's URL; no
// call reaches a subgraph directly), with the real moderator and billing subgraphs and one token
// per role. Every forbidden cross-party read or write in the story is tried on the way and must be
// refused without any data of the other party.
import { startStack, token } from '../../support/harness';
import { subscribe, wsClient, type TestSubscription, type TestWsClient } from '../../support/ws-client';
import {
  bidInput,
  CLOSE,
  countSubscriptions,
  CREATE_REQUEST,
  DAY,
  gql,
  gqlOk,
  MINUTE,
  nextEvent,
  RECORD_SELECTION,
  refused,
  refusalOf,
  REGISTER_BUYER,
  REGISTER_CARRIER,
  requestInput,
  SUBMIT_BID,
  until,
} from './helpers';

const TOPIC_DISTRIBUTED = 'moderator.request.distributed';
const topicBids = (requestId: string) => `moderator.bids.${requestId}`;
const TOPIC_BILLS = 'billing.billIssued';

const BUYER_A = { id: 'buyer-a', name: 'Acme Telecom Buyer' };
const BUYER_B = { id: 'buyer-b', name: 'Bravo Buyer Ltd' };
const C1 = { id: 'carrier-1', name: 'Northwind Carrier', coverage: ['44'] };
const C2 = { id: 'carrier-2', name: 'Southwind Carrier', coverage: ['33', '44'] };
const C3 = { id: 'carrier-3', name: 'Eastwind Carrier', coverage: ['33'] };

const DISTRIBUTED = `subscription { requestDistributed { distributedAt request { id status quantity routes { destination } buyer { id name } } } }`;
const BID_UPDATES = `subscription($id: ID!) { bidUpdates(requestId: $id) {
  requestId kind
  bid { id status incentive { ratePerUnit } carrier { id name } }
  board { view bidCount viewerRank bestRate entries { rank pseudonym ratePerUnit isViewer carrier { id name } bid { id carrier { id name } } } }
} }`;
const BILL_FIELDS = `id kind status total { amount currency } carrier { id name } request { id routes { destination } }`;
const BILLS_FOR_BUYER = `subscription { billIssued { ${BILL_FIELDS} buyer { id name } } }`;
const BILLS_FOR_CARRIER = `subscription { billIssued { ${BILL_FIELDS} } }`;
const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { index reason } } }`;
const PAY = `mutation($input: PaymentInput!) { recordPayment(input: $input) { id amount { amount currency } path } }`;
const BILL = `query($id: ID!) { bill(id: $id) { id kind status total { amount } paid { amount } outstanding { amount } buyer { id } carrier { id } } }`;

/** The serialised value must not mention any of these (ids or names of another party). */
function expectNoneOf(value: unknown, secrets: string[]) {
  const text = JSON.stringify(value);
  for (const s of secrets) expect(text).not.toContain(s);
}

jest.setTimeout(60_000);

describe('the exchange story through the gateway, one token per role', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let G: string;
  let moderatorSubs: (topic: string) => number;
  let billingSubs: (topic: string) => number;
  const t: Record<string, string> = {};
  const clients: TestWsClient[] = [];
  const ws = (bearer?: string) => {
    const c = wsClient(G, bearer);
    clients.push(c);
    return c;
  };

  // State the story builds up, step by step.
  let r1: { id: string; interval: { start: string; end: string } };
  let r2: { id: string };
  let bidIds: Record<string, string> = {};
  let selectionId: string;
  let advanceA: string;
  const sub: Record<string, TestSubscription> = {};

  beforeAll(async () => {
    // The partner's own operations here are not the persisted ones: the allow-list (on by default) is off.
    stack = await startStack({ moderator: { OUTBOX_INTERVAL_MS: '50', SCHEDULER_ENABLED: 'false' }, gateway: { PARTNER_OPERATIONS_FILE: 'none' } });
    G = stack.gateway.url;
    moderatorSubs = countSubscriptions(stack.moderator.pubsub);
    billingSubs = countSubscriptions(stack.billing.pubsub);
    t.admin = await token('ADMIN', 'admin-1');
    t.buyerA = await token('BUYER', BUYER_A.id);
    t.buyerB = await token('BUYER', BUYER_B.id);
    t.c1 = await token('CARRIER', C1.id);
    t.c2 = await token('CARRIER', C2.id);
    t.c3 = await token('CARRIER', C3.id);
    t.partner = await token('PARTNER', 'partner-1');
    t.agent = await token('BILLING_AGENT', 'agent-1');
    t.meter = await token('METER', 'meter-1');
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await stack?.stop();
  });

  it('admin registers the buyers and carriers; nobody else may, and nothing is readable without a token', async () => {
    const anon = await refused(G, REGISTER_BUYER, { input: { id: 'intruder', name: 'Intruder' } });
    expect(anon.codes).toEqual(['UNAUTHENTICATED']);
    expect(anon.data).toBeNull();
    for (const who of ['buyerA', 'c1', 'partner', 'agent']) {
      const r = await refused(G, REGISTER_CARRIER, { input: { id: 'intruder', name: 'Intruder', coverage: ['1'] } }, t[who]);
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: ['FORBIDDEN'], data: null });
    }

    for (const b of [BUYER_A, BUYER_B]) expect((await gqlOk(G, REGISTER_BUYER, { input: b }, t.admin)).registerBuyer).toEqual(b);
    for (const c of [C1, C2, C3]) expect((await gqlOk(G, REGISTER_CARRIER, { input: c }, t.admin)).registerCarrier).toEqual(c);

    const buyers = await gqlOk(G, '{ buyers { id name } carriers { id } }', {}, t.admin);
    expect(buyers.buyers.map((b: { id: string }) => b.id).sort()).toEqual(['buyer-a', 'buyer-b']);
    // A buyer lists only itself; another buyer's record is FORBIDDEN; a carrier lists only itself.
    expect((await gqlOk(G, '{ buyers { id } }', {}, t.buyerB)).buyers).toEqual([{ id: 'buyer-b' }]);
    const other = await refused(G, 'query($id: ID!) { buyer(id: $id) { id name } }', { id: BUYER_A.id }, t.buyerB);
    expect(other.codes).toEqual(['FORBIDDEN']);
    expectNoneOf(other.data, [BUYER_A.name]);
    expect((await gqlOk(G, '{ carriers { id } }', {}, t.c2)).carriers).toEqual([{ id: 'carrier-2' }]);
    const otherCarrier = await refused(G, 'query($id: ID!) { carrier(id: $id) { id name } }', { id: C1.id }, t.c2);
    expect(otherCarrier.codes).toEqual(['FORBIDDEN']);
    expectNoneOf(otherCarrier.data, [C1.name]);
    expect((await refused(G, '{ bills { nodes { id } } }', {})).codes).toEqual(['UNAUTHENTICATED']);
  });

  it('carriers see the buyer’s request live on requestDistributed (only those covering it, never the buyer)', async () => {
    for (const c of ['c1', 'c2', 'c3']) sub[`dist_${c}`] = subscribe(ws(t[c]), DISTRIBUTED);
    // A buyer or a partner is not sent distributed requests at all.
    const buyerDist = subscribe(ws(t.buyerA), DISTRIBUTED);
    const partnerDist = subscribe(ws(t.partner), DISTRIBUTED);
    expect(await refusalOf(buyerDist, 'buyer requestDistributed')).toEqual({ codes: ['FORBIDDEN'], data: [] });
    expect(await refusalOf(partnerDist, 'partner requestDistributed')).toEqual({ codes: ['FORBIDDEN'], data: [] });
    await until(() => moderatorSubs(TOPIC_DISTRIBUTED) === 3, 'the three carriers are subscribed at the moderator');

    // Only buyers create requests.
    expect((await refused(G, CREATE_REQUEST, { input: requestInput('4420', '1000') }, t.c1)).codes).toEqual(['FORBIDDEN']);
    const created = (await gqlOk(G, CREATE_REQUEST, { input: requestInput('4420', '1000') }, t.buyerA)).createServiceRequest;
    expect(created).toMatchObject({ status: 'OPEN', distributionCount: 2, routes: [{ destination: '4420' }] });
    r1 = created;

    for (const c of ['c1', 'c2']) {
      const e = await nextEvent(sub[`dist_${c}`], `${c} requestDistributed`);
      expect(e.errors).toBeUndefined();
      expect(e.data!.requestDistributed.request).toEqual({ id: r1.id, status: 'OPEN', quantity: '1000', routes: [{ destination: '4420' }], buyer: null });
      expectNoneOf(e, [BUYER_A.id, BUYER_A.name]);
    }
  });

  it('cross-party reads of the open request are FORBIDDEN', async () => {
    const q = `query($id: ID!) { serviceRequest(id: $id) { id quantity routes { destination } buyer { id name } } }`;
    for (const who of ['buyerB', 'c3']) {
      const r = await refused(G, q, { id: r1.id }, t[who]);
      expect({ who, codes: r.codes }).toEqual({ who, codes: ['FORBIDDEN'] });
      expect(r.data).toEqual({ serviceRequest: null });
    }
    expect((await refused(G, q, { id: r1.id })).codes).toEqual(['UNAUTHENTICATED']);
    const board = await refused(G, 'query($id: ID!) { bidBoard(requestId: $id) { bidCount } }', { id: r1.id }, t.c3);
    expect(board.codes).toEqual(['FORBIDDEN']);
    // A carrier the request was not distributed to cannot bid on it.
    const bid3 = await refused(G, SUBMIT_BID, { input: bidInput(r1.id, '0.0050') }, t.c3);
    expect(bid3.codes).toEqual(['FORBIDDEN']);
    expect(bid3.data).toBeNull();
    // A carrier it was distributed to sees it without the buyer.
    const seen = await gqlOk(G, `query($id: ID!) { serviceRequest(id: $id) { id buyer { id } distributions { distributedAt } } }`, { id: r1.id }, t.c1);
    expect(seen.serviceRequest).toEqual({ id: r1.id, buyer: null, distributions: null });
  });

  it('carriers bid and watch the anonymised board live; the buyer sees it in full, a partner only anonymised', async () => {
    for (const who of ['buyerA', 'c1', 'c2', 'partner']) sub[`bids_${who}`] = subscribe(ws(t[who]), BID_UPDATES, { id: r1.id });
    const refusedB = subscribe(ws(t.buyerB), BID_UPDATES, { id: r1.id });
    const refused3 = subscribe(ws(t.c3), BID_UPDATES, { id: r1.id });
    expect(await refusalOf(refusedB, 'buyer B bidUpdates')).toEqual({ codes: ['FORBIDDEN'], data: [] });
    expect(await refusalOf(refused3, 'carrier 3 bidUpdates')).toEqual({ codes: ['FORBIDDEN'], data: [] });
    await until(() => moderatorSubs(topicBids(r1.id)) === 4, 'four bid-board subscribers at the moderator');

    bidIds.c1a = (await gqlOk(G, SUBMIT_BID, { input: bidInput(r1.id, '0.0120') }, t.c1)).submitBid.id;
    const e1 = await Promise.all(['buyerA', 'c1', 'c2', 'partner'].map((w) => nextEvent(sub[`bids_${w}`], `${w} event 1`)));
    bidIds.c2 = (await gqlOk(G, SUBMIT_BID, { input: bidInput(r1.id, '0.0110') }, t.c2)).submitBid.id;
    const e2 = await Promise.all(['buyerA', 'c1', 'c2', 'partner'].map((w) => nextEvent(sub[`bids_${w}`], `${w} event 2`)));
    bidIds.c1b = (await gqlOk(G, SUBMIT_BID, { input: bidInput(r1.id, '0.0100') }, t.c1)).submitBid.id;
    const e3 = await Promise.all(['buyerA', 'c1', 'c2', 'partner'].map((w) => nextEvent(sub[`bids_${w}`], `${w} event 3`)));
    for (const e of [...e1, ...e2, ...e3]) expect(e.errors).toBeUndefined();
    const [buyer1, c1e1, c2e1, partner1] = e1.map((e) => e.data!.bidUpdates);
    const [buyer3, c1e3, c2e3, partner3] = e3.map((e) => e.data!.bidUpdates);

    // The buyer of the request: the full board, with the carriers (the positive control).
    expect(buyer1).toMatchObject({ kind: 'ACCEPTED', bid: { id: bidIds.c1a, carrier: { id: C1.id, name: C1.name } }, board: { view: 'FULL', bidCount: 1 } });
    expect(buyer3.kind).toBe('REPLACED');
    expect(buyer3.board.entries.map((x: any) => [x.rank, x.carrier.name, x.ratePerUnit])).toEqual([
      [1, C1.name, '0.01'],
      [2, C2.name, '0.011'],
    ]);

    // Carrier 1 sees its own bid, the competitor only as a pseudonym.
    expect(c1e1).toMatchObject({ kind: 'ACCEPTED', bid: { id: bidIds.c1a, carrier: { id: C1.id } }, board: { view: 'ANONYMOUS', bidCount: 1, viewerRank: 1 } });
    expect(c1e3.board).toMatchObject({ view: 'ANONYMOUS', bidCount: 2, viewerRank: 1 });
    expect(c1e3.board.entries.map((x: any) => ({ rank: x.rank, isViewer: x.isViewer, carrier: x.carrier, bid: x.bid }))).toEqual([
      { rank: 1, isViewer: true, carrier: null, bid: null },
      { rank: 2, isViewer: false, carrier: null, bid: null },
    ]);
    // Carrier 2 never learns about carrier 1's bids beyond the anonymous board.
    expect(c2e1).toMatchObject({ kind: 'ACCEPTED', bid: null, board: { view: 'ANONYMOUS', bidCount: 1, viewerRank: null } });
    expect(c2e3).toMatchObject({ kind: 'REPLACED', bid: null, board: { view: 'ANONYMOUS', bidCount: 2, viewerRank: 2 } });
    // The partner: anonymous board, no bid, no viewer rank.
    expect(partner1).toMatchObject({ bid: null, board: { view: 'ANONYMOUS', viewerRank: null } });
    expect(partner3.board.entries.map((x: any) => [x.rank, x.ratePerUnit, x.isViewer, x.carrier, x.bid])).toEqual([
      [1, '0.01', false, null, null],
      [2, '0.011', false, null, null],
    ]);
    // Pseudonyms are the same for every anonymous viewer and stable across events.
    const pseudonymOfC1 = partner3.board.entries[0].pseudonym;
    expect(pseudonymOfC1).toMatch(/^Bidder-/);
    expect(c2e3.board.entries[0].pseudonym).toBe(pseudonymOfC1);
    expect(partner1.board.entries[0].pseudonym).toBe(pseudonymOfC1);

    const c1Events = [e1[1], e2[1], e3[1]];
    const c2Events = [e1[2], e2[2], e3[2]];
    const partnerEvents = [e1[3], e2[3], e3[3]];
    expectNoneOf(c1Events, [C2.id, C2.name, bidIds.c2, BUYER_A.id, BUYER_A.name]);
    expectNoneOf(c2Events, [C1.id, C1.name, bidIds.c1a, bidIds.c1b, BUYER_A.id, BUYER_A.name]);
    expectNoneOf(partnerEvents, [C1.id, C1.name, C2.id, C2.name, bidIds.c1a, bidIds.c1b, bidIds.c2, BUYER_A.id, BUYER_A.name]);
  });

  it('a partner reads only the anonymised board; carriers cannot read competitors’ bids or the ranking', async () => {
    const board = await gqlOk(G, `query($id: ID!) { bidBoard(requestId: $id) { view bidCount entries { rank pseudonym carrier { id } bid { id } } } }`, { id: r1.id }, t.partner);
    expect(board.bidBoard).toMatchObject({ view: 'ANONYMOUS', bidCount: 2 });
    expect(board.bidBoard.entries.every((x: any) => x.carrier === null && x.bid === null)).toBe(true);
    const partnerReq = await gqlOk(G, `query($id: ID!) { serviceRequest(id: $id) { buyer { id } bids { id } distributions { distributedAt } selection { id } } }`, { id: r1.id }, t.partner);
    expect(partnerReq.serviceRequest).toEqual({ buyer: null, bids: [], distributions: null, selection: null });

    const ranking = `query($id: ID!) { serviceRequest(id: $id) { ranking { rank bid { id carrier { id name } } } } }`;
    for (const who of ['partner', 'c2']) {
      const r = await refused(G, ranking, { id: r1.id }, t[who]);
      expect({ who, codes: r.codes }).toEqual({ who, codes: ['FORBIDDEN'] });
      expectNoneOf(r.data, [C1.id, C1.name, C2.name]);
    }
    for (const who of ['partner', 'c2', 'buyerB']) {
      const r = await refused(G, `query($id: ID!) { bid(id: $id) { id incentive { ratePerUnit } carrier { id } } }`, { id: bidIds.c1b }, t[who]);
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: ['FORBIDDEN'], data: { bid: null } });
    }
    // Carrier 2's own view of the request lists only its own bid.
    const own = await gqlOk(G, `query($id: ID!) { serviceRequest(id: $id) { bids { id carrier { id } } } }`, { id: r1.id }, t.c2);
    expect(own.serviceRequest.bids).toEqual([{ id: bidIds.c2, carrier: { id: C2.id } }]);
  });

  it('the buyer closes bidding; the selection reaches billing; the ADVANCE bill arrives on the buyer’s and the carrier’s billIssued', async () => {
    sub.billsA = subscribe(ws(t.buyerA), BILLS_FOR_BUYER);
    sub.billsB = subscribe(ws(t.buyerB), BILLS_FOR_BUYER);
    sub.billsC1 = subscribe(ws(t.c1), BILLS_FOR_CARRIER);
    sub.billsC2 = subscribe(ws(t.c2), BILLS_FOR_CARRIER);
    // The selected carrier asking for the buyer of its bill sees its id and name (issue 12: one policy for the counterparty).
    sub.billsC1Buyer = subscribe(ws(t.c1), `subscription { billIssued { id buyer { id name } } }`);
    const partnerBills = subscribe(ws(t.partner), BILLS_FOR_CARRIER);
    const anonBills = subscribe(ws(), BILLS_FOR_CARRIER);
    expect(await refusalOf(partnerBills, 'partner billIssued')).toEqual({ codes: ['FORBIDDEN'], data: [] });
    expect(await refusalOf(anonBills, 'anonymous billIssued')).toEqual({ codes: ['UNAUTHENTICATED'], data: [] });
    await until(() => billingSubs(TOPIC_BILLS) === 5, 'five bill subscribers at billing');

    for (const who of ['c2', 'buyerB', 'partner']) {
      const r = await refused(G, CLOSE, { id: r1.id }, t[who]);
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: ['FORBIDDEN'], data: null });
    }
    const closed = (await gqlOk(G, CLOSE, { id: r1.id }, t.buyerA)).closeBidding;
    expect(closed).toMatchObject({ id: r1.id, status: 'AWARDED', selection: { carrier: { id: C1.id, name: C1.name } } });
    selectionId = closed.selection.id;

    const a = await nextEvent(sub.billsA, 'buyer A billIssued');
    expect(a.errors).toBeUndefined();
    const bill = a.data!.billIssued;
    expect(bill).toEqual({
      id: expect.any(String),
      kind: 'ADVANCE',
      status: 'ISSUED',
      // 1000 minutes at 0.0100 GBP
      total: { amount: '10.00', currency: 'GBP' },
      buyer: { id: BUYER_A.id, name: BUYER_A.name },
      carrier: { id: C1.id, name: C1.name },
      request: { id: r1.id, routes: [{ destination: '4420' }] },
    });
    advanceA = bill.id;
    const c = await nextEvent(sub.billsC1, 'carrier 1 billIssued');
    expect(c).toEqual({ data: { billIssued: { id: advanceA, kind: 'ADVANCE', status: 'ISSUED', total: { amount: '10.00', currency: 'GBP' }, carrier: { id: C1.id, name: C1.name }, request: { id: r1.id, routes: [{ destination: '4420' }] } } } });
    const cb = await nextEvent(sub.billsC1Buyer, 'carrier 1 billIssued with buyer');
    expect(cb).toEqual({ data: { billIssued: { id: advanceA, buyer: { id: BUYER_A.id, name: BUYER_A.name } } } });

    // The selection record was delivered by the outbox as the MODERATOR, exactly once. Billing publishes the
    // bill before its answer reaches the moderator, so the delivery is marked a moment after the event arrives.
    const deliveryOf = async () => (await gqlOk(G, `query($id: ID!) { selection(id: $id) { billingDelivery { state attempts } } }`, { id: selectionId }, t.admin)).selection.billingDelivery;
    await until(async () => (await deliveryOf()).state === 'DELIVERED', 'the moderator records the delivery as DELIVERED');
    expect(await deliveryOf()).toEqual({ state: 'DELIVERED', attempts: 1 });
    const record = await gqlOk(G, `query($id: ID!) { selectionRecord(id: $id) { requestId carrierId quantity advanceBill { id } request { routes { destination } } } }`, { id: selectionId }, t.buyerA);
    expect(record.selectionRecord).toEqual({ requestId: r1.id, carrierId: C1.id, quantity: '1000', advanceBill: { id: advanceA }, request: { routes: [{ destination: '4420' }] } });
  });

  it('after the close: only the buyer and the winner see the selection; routing follows it', async () => {
    const q = `query($id: ID!) { serviceRequest(id: $id) { status selection { id carrier { id } } } }`;
    expect((await gqlOk(G, q, { id: r1.id }, t.c1)).serviceRequest.selection).toEqual({ id: selectionId, carrier: { id: C1.id } });
    expect((await gqlOk(G, q, { id: r1.id }, t.c2)).serviceRequest).toEqual({ status: 'AWARDED', selection: null });
    for (const who of ['c2', 'buyerB', 'partner']) {
      const r = await refused(G, `query($id: ID!) { selection(id: $id) { id carrier { id } incentive { ratePerUnit } } }`, { id: selectionId }, t[who]);
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: ['FORBIDDEN'], data: { selection: null } });
    }
    // The selection record at billing: its buyer or carrier, not others (null, nothing of it).
    for (const who of ['c2', 'buyerB']) {
      const r = await gql(G, `query($id: ID!) { selectionRecord(id: $id) { id carrierId } }`, { id: selectionId }, t[who]);
      expect(r.data).toEqual({ selectionRecord: null });
    }
    const at = new Date(new Date(r1.interval.start).getTime() + 60 * MINUTE).toISOString();
    const route = `query($d: String!, $at: DateTime, $buyerId: ID) { routeCall(destination: $d, at: $at, buyerId: $buyerId) { matchedPrefix carrier { id } reason } }`;
    expect((await gqlOk(G, route, { d: '+442071234567', at }, t.buyerA)).routeCall).toEqual({ matchedPrefix: '4420', carrier: { id: C1.id }, reason: null });
    // Another buyer's routing table is not reachable: its own has no route, asking for A's is FORBIDDEN.
    expect((await gqlOk(G, route, { d: '442071234567', at }, t.buyerB)).routeCall).toMatchObject({ matchedPrefix: null, carrier: null });
    expect((await refused(G, route, { d: '442071234567', at, buyerId: BUYER_A.id }, t.buyerB)).codes).toEqual(['FORBIDDEN']);
  });

  it('bills never reach another buyer’s or carrier’s subscription (a later bill of their own arrives first)', async () => {
    // Buyer B's own auction, won by carrier 2; carrier 3 (covering 33) receives it as its FIRST
    // distributed request: the earlier one for 44 was never sent to it.
    r2 = (await gqlOk(G, CREATE_REQUEST, { input: requestInput('331', '500') }, t.buyerB)).createServiceRequest;
    expect((await nextEvent(sub.dist_c3, 'carrier 3 requestDistributed')).data!.requestDistributed.request.id).toBe(r2.id);
    expect((await nextEvent(sub.dist_c2, 'carrier 2 requestDistributed')).data!.requestDistributed.request.id).toBe(r2.id);
    await gqlOk(G, SUBMIT_BID, { input: bidInput(r2.id, '0.0200') }, t.c2);
    await gqlOk(G, SUBMIT_BID, { input: bidInput(r2.id, '0.0300') }, t.c3);
    expect((await gqlOk(G, CLOSE, { id: r2.id }, t.buyerB)).closeBidding.selection.carrier.id).toBe(C2.id);

    const b = await nextEvent(sub.billsB, 'buyer B billIssued');
    const c2 = await nextEvent(sub.billsC2, 'carrier 2 billIssued');
    // Their first bill is their own: buyer A's ADVANCE bill (issued earlier) never reached them.
    expect(b.data!.billIssued).toMatchObject({ kind: 'ADVANCE', total: { amount: '10.00', currency: 'GBP' }, buyer: { id: BUYER_B.id }, carrier: { id: C2.id }, request: { id: r2.id } });
    expect(c2.data!.billIssued).toMatchObject({ kind: 'ADVANCE', carrier: { id: C2.id, name: C2.name }, request: { id: r2.id, routes: [{ destination: '331' }] } });
    expect(b.data!.billIssued.id).not.toBe(advanceA);
    expect(sub.billsB.events).toHaveLength(1);
    expect(sub.billsC2.events).toHaveLength(1);
  });

  it('cross-party bill reads are FORBIDDEN and carry nothing of the other party', async () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['buyerB', BILL, { id: advanceA }],
      ['c2', BILL, { id: advanceA }],
      ['c3', BILL, { id: advanceA }],
      ['partner', BILL, { id: advanceA }],
      ['buyerB', `query($b: ID!) { bills(filter: { buyerId: $b }) { nodes { id } } }`, { b: BUYER_A.id }],
      ['c2', `query($c: ID!) { bills(filter: { carrierId: $c }) { nodes { id } } }`, { c: C1.id }],
      ['partner', `{ bills { nodes { id total { amount } } } }`, {}],
      ['buyerB', `query($b: ID!) { buyer(id: $b) { id bills { nodes { id } } balance { amount } } }`, { b: BUYER_A.id }],
      ['c2', `query($c: ID!) { carrier(id: $c) { id bills { nodes { id } } receivables { amount } } }`, { c: C1.id }],
      ['buyerB', `query($r: ID!) { serviceRequest(id: $r) { id bills { id total { amount } } } }`, { r: r1.id }],
      ['partner', `query($r: ID!) { serviceRequest(id: $r) { billingRecords { nodes { id } } } }`, { r: r1.id }],
      ['c2', `query($b: ID!) { ledgerEntries(billId: $b) { account amount } }`, { b: advanceA }],
      ['c2', `query($c: ID!, $p: IntervalInput!) { settlementStatement(carrierId: $c, period: $p) { lines { billId } } }`, { c: C1.id, p: { start: new Date(Date.now() - DAY).toISOString(), end: new Date(Date.now() + 60 * DAY).toISOString() } }],
    ];
    for (const [who, q, v] of cases) {
      const r = await refused(G, q, v, t[who]);
      expect({ who, q, codes: r.codes }).toEqual({ who, q, codes: ['FORBIDDEN'] });
      expectNoneOf(r.data, [advanceA, BUYER_A.name, '10.00']);
    }
    // Listing without a filter returns only the caller's own bills.
    const ownB = await gqlOk(G, `{ bills { nodes { id buyer { id } } } }`, {}, t.buyerB);
    expect(ownB.bills.nodes.map((b: any) => b.buyer.id)).toEqual([BUYER_B.id]);
    const ownC2 = await gqlOk(G, `{ bills { nodes { id carrier { id } } } }`, {}, t.c2);
    expect(ownC2.bills.nodes.map((b: any) => b.carrier.id)).toEqual([C2.id]);
    // Carrier 2 may read request 1 (distributed to it), but sees none of carrier 1's bills on it.
    const onRequest = await gqlOk(G, `query($r: ID!) { serviceRequest(id: $r) { billCount bills { id } } }`, { r: r1.id }, t.c2);
    expect(onRequest.serviceRequest).toEqual({ billCount: 0, bills: [] });
    // Only the MODERATOR records selections.
    const fake = {
      selectionId: 'sel-forged',
      requestId: r1.id,
      buyerId: BUYER_A.id,
      buyerIsReseller: false,
      carrierId: C2.id,
      routes: [{ origin: '1', destination: '4420' }],
      serviceType: 'VOICE',
      interval: r1.interval,
      quantity: '1',
      unit: 'MINUTE',
      incentive: { currency: 'GBP', ratePerUnit: '0.0001' },
      selectedAt: new Date().toISOString(),
    };
    for (const who of ['buyerA', 'c2', 'admin', 'agent', 'partner']) {
      const r = await refused(G, RECORD_SELECTION, { input: fake }, t[who]);
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: ['FORBIDDEN'], data: null });
    }
    expect((await refused(G, RECORD_SELECTION, { input: fake })).codes).toEqual(['UNAUTHENTICATED']);
  });

  it('usage is ingested by the carrier and a registered meter, only as entitled', async () => {
    const start = new Date(new Date(r1.interval.start).getTime() + MINUTE);
    const usage = (recordId: string, source: string, seconds: number, over: Record<string, unknown> = {}) => ({
      recordId,
      source,
      buyerId: BUYER_A.id,
      carrierId: C1.id,
      requestId: r1.id,
      intervalStart: start.toISOString(),
      intervalEnd: new Date(start.getTime() + seconds * 1000).toISOString(),
      serviceType: 'VOICE',
      quantity: String(seconds),
      destination: '442071234567',
      ...over,
    });
    // Only operators register meters.
    const reporter = `mutation($input: UsageReporterInput!) { registerUsageReporter(input: $input) { id buyerIds } }`;
    expect((await refused(G, reporter, { input: { id: 'meter-1', kind: 'METER', buyerIds: [BUYER_A.id] } }, t.buyerA)).codes).toEqual(['FORBIDDEN']);
    expect((await gqlOk(G, reporter, { input: { id: 'meter-1', kind: 'METER', buyerIds: [BUYER_A.id] } }, t.agent)).registerUsageReporter).toEqual({ id: 'meter-1', buyerIds: [BUYER_A.id] });

    const refusedIngest: [string, Record<string, unknown>][] = [
      ['c2', usage('c2-fake', 'CARRIER', 600)], // another carrier's traffic
      ['meter', usage('m-b', 'MEASURING_EQUIPMENT', 60, { buyerId: BUYER_B.id, carrierId: C2.id, requestId: r2.id, equipmentId: 'meter-1' })], // a buyer it is not registered for
      ['buyerA', usage('b-self', 'CARRIER', 60)],
      ['partner', usage('p', 'CARRIER', 60)],
    ];
    for (const [who, rec] of refusedIngest) {
      const r = await refused(G, INGEST, { records: [rec] }, t[who]);
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: ['FORBIDDEN'], data: null });
    }

    const byCarrier = (await gqlOk(G, INGEST, { records: [usage('c1-0001', 'CARRIER', 600)] }, t.c1)).ingestUsage;
    expect(byCarrier).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    // Another call (another called number): the same number answered at the same moment would be the
    // carrier's call reported again, billed once (mediation's matching rule).
    const byMeter = (await gqlOk(G, INGEST, { records: [usage('m-0001', 'MEASURING_EQUIPMENT', 300, { equipmentId: 'meter-1', destination: '442071234568' })] }, t.meter)).ingestUsage;
    expect(byMeter).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    // Re-sent records are never charged twice.
    expect((await gqlOk(G, INGEST, { records: [usage('c1-0001', 'CARRIER', 600)] }, t.c1)).ingestUsage).toEqual({ accepted: 0, duplicates: 1, rejected: [] });

    const records = `{ usageRecords { nodes { recordId status requestId carrierId } } }`;
    const forA = await gqlOk(G, records, {}, t.buyerA);
    expect(forA.usageRecords.nodes.map((u: any) => [u.recordId, u.status, u.requestId]).sort()).toEqual([
      ['c1-0001', 'RATED', r1.id],
      ['m-0001', 'RATED', r1.id],
    ]);
    expect((await gqlOk(G, records, {}, t.buyerB)).usageRecords.nodes).toEqual([]);
    expect((await gqlOk(G, records, {}, t.c2)).usageRecords.nodes).toEqual([]);
    expect((await refused(G, `query($c: ID!) { usageRecords(filter: { carrierId: $c }) { nodes { recordId } } }`, { c: C1.id }, t.c2)).codes).toEqual(['FORBIDDEN']);
    expect((await refused(G, records, {}, t.partner)).codes).toEqual(['FORBIDDEN']);
  });

  it('the billing agent generates the bills; the new bill arrives on the buyer’s and the carrier’s subscriptions', async () => {
    const start = new Date(r1.interval.start);
    const period = { start: new Date(start.getTime() - DAY).toISOString(), end: new Date(start.getTime() + DAY).toISOString() };
    const GENERATE = `mutation($p: IntervalInput!) { generateBills(period: $p) { issued bills { id kind recordCount buyer { id } carrier { id } request { id } lines { kind amount } total { amount currency } } } }`;
    for (const who of ['buyerA', 'c1', 'partner']) {
      const r = await refused(G, GENERATE, { p: period }, t[who]);
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: ['FORBIDDEN'], data: null });
    }
    const run = (await gqlOk(G, GENERATE, { p: period }, t.agent)).generateBills;
    expect(run.issued).toBe(1);
    expect(run.bills).toHaveLength(1);
    const periodic = run.bills[0];
    // 15 minutes at 0.0100 = 0.15, credited against the ADVANCE bill.
    expect(periodic).toMatchObject({ kind: 'PERIODIC', recordCount: 2, buyer: { id: BUYER_A.id }, carrier: { id: C1.id }, request: { id: r1.id } });
    expect(periodic.lines.map((l: any) => [l.kind, l.amount])).toEqual([
      ['USAGE', '0.150000'],
      ['ADVANCE_CREDIT', '-0.150000'],
    ]);

    const a = await nextEvent(sub.billsA, 'buyer A periodic bill');
    expect(a.data!.billIssued).toMatchObject({ id: periodic.id, kind: 'PERIODIC', buyer: { name: BUYER_A.name }, request: { routes: [{ destination: '4420' }] } });
    const c = await nextEvent(sub.billsC1, 'carrier 1 periodic bill');
    expect(c.data!.billIssued).toMatchObject({ id: periodic.id, kind: 'PERIODIC', carrier: { name: C1.name } });
    // Buyer A's subscription never carried buyer B's bill (issued between its two bills).
    expect(sub.billsA.events.map((e) => (e.data as Record<string, any>).billIssued.id)).toEqual([advanceA, periodic.id]);
  });

  it('a payment settles the ADVANCE bill: PARTIALLY_PAID, then PAID; nobody else may pay or see it', async () => {
    for (const who of ['buyerB', 'c1', 'partner']) {
      const r = await refused(G, PAY, { input: { billId: advanceA, amount: '1.00', path: 'DIRECT', paymentId: `story-${who}` } }, t[who]);
      // Buyers and carriers are told the bill does not exist for them (billing's rule); others FORBIDDEN.
      expect({ who, codes: r.codes, data: r.data }).toEqual({ who, codes: [who === 'partner' ? 'FORBIDDEN' : 'NOT_FOUND'], data: null });
    }
    expect((await gqlOk(G, BILL, { id: advanceA }, t.buyerA)).bill).toMatchObject({ status: 'ISSUED', outstanding: { amount: '10.00' } });

    await gqlOk(G, PAY, { input: { billId: advanceA, amount: '4.00', path: 'DIRECT', paymentId: 'story-wire-1', reference: 'wire-1' } }, t.buyerA);
    expect((await gqlOk(G, BILL, { id: advanceA }, t.buyerA)).bill).toMatchObject({ status: 'PARTIALLY_PAID', paid: { amount: '4.00' }, outstanding: { amount: '6.00' } });
    const over = await refused(G, PAY, { input: { billId: advanceA, amount: '6.01', path: 'DIRECT', paymentId: 'story-over' } }, t.buyerA);
    expect(over.codes).toEqual(['BAD_USER_INPUT']);
    const paid = (await gqlOk(G, PAY, { input: { billId: advanceA, amount: '6.00', path: 'DIRECT', paymentId: 'story-wire-2', reference: 'wire-2' } }, t.buyerA)).recordPayment;
    expect(paid).toMatchObject({ amount: { amount: '6.00', currency: 'GBP' }, path: 'DIRECT' });

    const byBuyer = (await gqlOk(G, BILL, { id: advanceA }, t.buyerA)).bill;
    expect(byBuyer).toEqual({ id: advanceA, kind: 'ADVANCE', status: 'PAID', total: { amount: '10.00' }, paid: { amount: '10.00' }, outstanding: { amount: '0.00' }, buyer: { id: BUYER_A.id }, carrier: { id: C1.id } });
    // The carrier sees the same settled bill.
    expect((await gqlOk(G, `query($id: ID!) { bill(id: $id) { status payments { amount { amount } } } }`, { id: advanceA }, t.c1)).bill).toEqual({
      status: 'PAID',
      payments: [{ amount: { amount: '4.00' } }, { amount: { amount: '6.00' } }],
    });
    // And still nobody else reads it.
    for (const who of ['buyerB', 'c2']) expect((await refused(G, BILL, { id: advanceA }, t[who])).codes).toEqual(['FORBIDDEN']);
  });
});
