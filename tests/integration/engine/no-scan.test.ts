// No hot path reads a whole collection: every query the services send while ingesting, associating
// and rating usage, recording selections, running bills, paging bills, requests and rejected usage,
// summarising usage, reloading routing and closing auctions is explained by the database, and
// the test fails on any plan that scans. Runs on both backends (.ci/run).
import { gqlOk, mongoUri, startStack, token } from '../../support/harness';
import { agentToken, GENERATE, ingestOk, recordSelection, voice } from '../billing/fixtures';
import { bid, CLOSE, createRequest, registerParties } from '../moderator/helpers';
import { sweepUnassociatedUsage } from '../../../billing-subgraph/src/services/usage';
import { copyIndexes, explainTarget, findScans, QueryRecorder, sortedWithoutRange } from './scan-check';
import { claimOnce } from '../../../billing-subgraph/src/store/slots';
import { sweepExpiredClaims } from '../../../billing-subgraph/src/store/sweep';

const HOT = ['recordSelection', 'ingest', 'billRun', 'billsPages', 'usageSummary', 'rejectedUsage', 'auction', 'requestsPages', 'routingReload', 'usageSweep', 'reconciliation', 'disputes', 'claimSweep', 'billingCycle', 'portalLists', 'benchLists'];

// Reads that are not served by an index, and why that is acceptable: each reads a registry or
// configuration collection that holds one document per party or per configured feed (a handful to
// hundreds, not growing with traffic), read whole by design.
//  - carriers.find({}): the carrier registry, read when a request is distributed and by the portal's
//    party list; coverage is an array, which FerretDB indexes as one whole value, so no index
//    could narrow it.
//  - buyers.find({}): the buyer registry behind the portal's party list (ADMIN and demo sign-in).
//  - usage_feeds.find({}): the agent's list of configured usage feeds.
// Not requests at all, and so not listed: the bench's own end-of-run checks on its scratch
// databases (countDocuments({}) of billing_records, usage_records and bill_claims, bills.find by
// kind), which count what a run stored. countDocuments({}) and a sorted page without a range on
// the sort key are not index-served by the engine (patch 0001); no service path sends either,
// which this test checks for every page below.
const ALLOWED_SCANS = new Set(['carriers.find {}', 'buyers.find {}', 'usage_feeds.find {}']);

// Sorted reads without a range on the sort key: the engine finds their matches through the
// filter's index and sorts all of them in Go, so each read costs the number of matches, not the
// page size. Each is listed with what bounds that number.
const SORTED_IN_GO: Record<string, string> = {
  'buyers {} sort createdAt': 'the buyer registry (party list), one document per buyer',
  'carriers {} sort createdAt': 'the carrier registry (party list), one document per carrier',
  'usage_feeds {} sort _id': 'configured usage feeds, a handful',
  'auction_log {requestId} sort seq': "one request's auction events (bids and the close)",
  'disputes {billId} sort openedAt': "one bill's disputes",
  'service_requests {_id,status} sort biddingClosesAt': 'the requests named by _id (a page of distributions)',
  'distributions {carrierId} sort at': "one carrier's distributions, a page of 1,000 of them: grows with the requests offered to that carrier (known gap: no range on `at`)",
  'billing_records {buyerId,requestId} sort _id': "one buyer's billing records of one request, paged by _id (portal bill records): grows with that request's usage (known gap: _id strings are not read in index order)",
  'usage_records {_id,buyerId,carrierId,status} sort _id': "the usage sweep's unassociated records of one buyer/carrier pair after an _id cursor",
  'bills {groupKey} sort sequence': "one bill group's bills (a group is one buyer, request, carrier, currency and period)",
  'slots {key} sort seq': "one key's slots, of which the latest is read: grows with the numbers issued under that key (known gap; each process caches its last slot and reads this only on a miss)",
  'usage_records {status} sort _id': 'the agent\'s unassociated usage page: grows with usage awaiting a selection record (known gap)',
};

test('hot paths use indexes only', async () => {
  const rec = new QueryRecorder();
  rec.start();
  const stack = await startStack({ billing: { WORKERS: 'false' } });
  const target = await explainTarget(mongoUri());
  try {
    const B = stack.billing.url;
    const M = stack.moderator.url;
    const agent = await agentToken();

    // Moderator: a request, bids, a close (which delivers the selection record to billing).
    const { buyers, carriers, admin } = await registerParties(M, {
      buyers: [{ id: 'ns-buyer' }],
      carriers: [{ id: 'ns-c1', coverage: ['44'] }, { id: 'ns-c2', coverage: ['44'] }],
    });
    const buyer = buyers['ns-buyer'];
    const req = await rec.during('auction', async () => {
      const r = await createRequest(M, buyer.token, { routes: [{ origin: '1', destination: '4420' }] });
      await bid(M, carriers['ns-c1'].token, r.id, '0.010');
      await bid(M, carriers['ns-c2'].token, r.id, '0.012');
      await gqlOk(M, CLOSE, { id: r.id }, buyer.token);
      return r;
    });
    await rec.during('requestsPages', async () => {
      await gqlOk(M, `{ serviceRequests(first: 20) { id status } }`, {}, buyer.token);
      await gqlOk(M, `{ serviceRequests(first: 20) { id status } }`, {}, admin);
      await gqlOk(M, `{ openRequests { id } }`, {}, carriers['ns-c1'].token);
    });
    await rec.during('routingReload', () => stack.moderator.services.routing.reload());

    // Billing: selection records, usage (associated by request and by parties, a duplicate, a
    // rejected record), a bill run, the pages and summaries portals read.
    await rec.during('recordSelection', async () => {
      await recordSelection(stack.billing, { selectionId: 'ns-sel', requestId: 'ns-req', buyerId: 'ns-b', carrierId: 'ns-c', quantity: '10' });
      await recordSelection(stack.billing, { selectionId: 'ns-sel', requestId: 'ns-req', buyerId: 'ns-b', carrierId: 'ns-c', quantity: '10' });
    });
    await rec.during('ingest', async () => {
      const recs = [0, 1, 2].map((i) => voice({ recordId: `ns-${i}`, seconds: 120, buyerId: 'ns-b', carrierId: 'ns-c', requestId: 'ns-req', start: `2026-10-0${i + 2}T08:00:00Z` }));
      recs.push(voice({ recordId: 'ns-3', seconds: 60, buyerId: 'ns-b', carrierId: 'ns-c', start: '2026-10-09T08:00:00Z' }));
      await ingestOk(stack.billing, recs);
      await ingestOk(stack.billing, recs.slice(0, 2));
      await ingestOk(stack.billing, [{ ...voice({ recordId: 'ns-bad', seconds: 1, buyerId: 'ns-b', carrierId: 'ns-c' }), quantity: '-4' }]);
      // Mediation: the carrier's record of a call, then the measuring equipment's (which replaces it), then the LEC's.
      const call = (source: string, recordId: string, at: string) => voice({ recordId, source, seconds: 90, buyerId: 'ns-b', carrierId: 'ns-c', start: at, destination: '+442079460000' });
      await ingestOk(stack.billing, [call('CARRIER', 'ns-med-c', '2026-10-12T08:00:00Z')]);
      await ingestOk(stack.billing, [call('MEASURING_EQUIPMENT', 'ns-med-m', '2026-10-12T08:00:02Z')]);
      await ingestOk(stack.billing, [call('LOCAL_EXCHANGE_CARRIER', 'ns-med-l', '2026-10-12T07:59:59Z')]);
    });
    // The sweep of waiting usage: one waiting record of a pair that has a selection record.
    await ingestOk(stack.billing, [voice({ recordId: 'ns-wait', seconds: 60, buyerId: 'ns-b', carrierId: 'ns-c', start: '2026-11-25T08:00:00Z' })]);
    await rec.during('usageSweep', () => sweepUnassociatedUsage(stack.billing.deps, new Date(Date.now() + 120_000)));
    await rec.during('reconciliation', async () => {
      // The route server's attempt counts (one upsert per slot) and the reconciliation's read of them.
      await gqlOk(B, `mutation { recordRouteAttempts(slots: [{ selectionId: "ns-sel", slotStart: "2026-10-02T08:00:00Z", attempts: 4 }]) }`, {}, await token('MODERATOR', 'moderator'));
      await gqlOk(B, `{ reconciliation(buyerId: "ns-b", carrierId: "ns-c", period: { start: "2026-10-01T00:00:00Z", end: "2026-11-01T00:00:00Z" }) { calls attempts asr sources { source calls } } }`, {}, agent);
      await gqlOk(B, `{ reconciliation(buyerId: "ns-b", carrierId: "ns-c", requestId: "ns-req", period: { start: "2026-10-01T00:00:00Z", end: "2026-11-01T00:00:00Z" }) { calls attempts } }`, {}, agent);
    });
    await rec.during('billRun', () => gqlOk(B, GENERATE, { period: { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' } }, agent));
    // Billing profiles and a billing cycle run (buyers grouped by zone and cycle day).
    await rec.during('billingCycle', async () => {
      const SET = `mutation($id: ID!, $p: BillingProfileInput!) { setBillingProfile(partyId: $id, role: BUYER, profile: $p) { timeZone } }`;
      await gqlOk(B, SET, { id: 'ns-ny', p: { timeZone: 'America/New_York', cycleDay: 1 } }, agent);
      await gqlOk(B, SET, { id: 'ns-b', p: { legalName: 'NS Buyer' } }, agent);
      await gqlOk(B, `{ billingProfile(partyId: "ns-b") { timeZone isDefault } }`, {}, await token('BUYER', 'ns-b'));
      await gqlOk(B, `mutation { runBillingCycle(period: "2026-10") { issued } }`, {}, agent);
    });
    await rec.during('disputes', async () => {
      const buyerToken = await token('BUYER', 'ns-b');
      const periodic = (await gqlOk(B, `{ bills(first: 20, filter: { kind: PERIODIC }) { nodes { id } } }`, {}, buyerToken)).bills.nodes[0];
      const d = (await gqlOk(B, `mutation($i: OpenDisputeInput!) { openDispute(input: $i) { id } }`, { i: { billId: periodic.id, reason: 'too long', amount: '-0.01' } }, buyerToken)).openDispute;
      await gqlOk(B, `query($id: ID) { disputes(billId: $id) { id } }`, { id: periodic.id }, agent);
      await gqlOk(B, `mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { status } }`, { i: { disputeId: d.id, accept: true, reason: 'ok' } }, agent);
    });
    await rec.during('billsPages', async () => {
      const q = `{ bills(first: 20) { nodes { id total { amount } } } }`;
      await gqlOk(B, q, {}, agent);
      await gqlOk(B, q, {}, await token('BUYER', 'ns-b'));
      await gqlOk(B, q, {}, await token('CARRIER', 'ns-c'));
    });
    await rec.during('usageSummary', () =>
      gqlOk(B, `query($r: [_Any!]!) { _entities(representations: $r) { ... on ServiceRequest { usageSummary { period records billableQuantity amount { amount } } } } }`, { r: [{ __typename: 'ServiceRequest', id: 'ns-req' }] }, agent),
    );
    await rec.during('rejectedUsage', async () => {
      await gqlOk(B, `{ rejectedUsage(first: 20) { nodes { recordId reason } } }`, {}, agent);
      await gqlOk(B, `{ rejectedUsage(first: 20, filter: { recordId: "ns-bad" }) { nodes { recordId } } }`, {}, agent);
    });
    // Every list query the portal sends (portal/src: buyer, carrier, bills, agent and dispute pages),
    // to the subgraph that answers it, with the roles that send it.
    await rec.during('portalLists', async () => {
      const buyerB = await token('BUYER', 'ns-b');
      const carrierC = await token('CARRIER', 'ns-c');
      const period = { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' };
      // Buyer pages: requests (with their boards), end users, routing table and a routed call.
      await gqlOk(M, `{ serviceRequests(first: 50) { id status board { bidCount bestRate currency } } }`, {}, buyer.token);
      await gqlOk(M, `query($id: ID!) { buyer(id: $id) { id isReseller endUsers { id name } } }`, { id: 'ns-buyer' }, buyer.token);
      await gqlOk(M, `{ routingTable { buyerId entries { prefix carrierId ratePerUnit } } }`, {}, buyer.token);
      await gqlOk(M, `{ routeCall(destination: "442079460000") { matchedPrefix reason } }`, {}, buyer.token);
      // Carrier pages: open requests, a request, settlement statement and receivables.
      await gqlOk(M, `{ openRequests { id } }`, {}, carriers['ns-c2'].token);
      await gqlOk(M, `query($id: ID!) { serviceRequest(id: $id) { id status } }`, { id: req.id }, carriers['ns-c1'].token);
      await gqlOk(B, `query($p: IntervalInput!) { settlementStatement(carrierId: "ns-c", period: $p) { lines { billId outstanding } } }`, { p: period }, carrierC);
      await gqlOk(B, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Carrier { receivables { amount currency } } } }`, { r: [{ __typename: 'Carrier', id: 'ns-c' }] }, carrierC);
      await gqlOk(B, `{ billingProfile(partyId: "ns-c", role: CARRIER) { timeZone } }`, {}, carrierC);
      // Bills page: every filter the page offers, then a bill's records page by page.
      for (const filter of [{}, { kind: 'PERIODIC' }, { kind: 'ADVANCE' }, { status: 'ISSUED' }, { requestId: 'ns-req' }, { issuedFrom: '2026-10-01T00:00:00Z' }]) {
        await gqlOk(B, `query($f: BillFilter) { bills(filter: $f, first: 100) { nodes { id } endCursor } }`, { f: filter }, buyerB);
        await gqlOk(B, `query($f: BillFilter) { bills(filter: $f, first: 100) { nodes { id } endCursor } }`, { f: filter }, carrierC);
      }
      const first = await gqlOk(B, `{ billingRecords(requestId: "ns-req", first: 2) { nodes { billId } endCursor } }`, {}, buyerB);
      await gqlOk(B, `query($a: String) { billingRecords(requestId: "ns-req", first: 200, after: $a) { nodes { billId } endCursor } }`, { a: first.billingRecords.endCursor }, buyerB);
      // Agent pages: feeds, rejected and unassociated usage, disputes, the party list.
      await gqlOk(B, `{ usageFeeds { id } }`, {}, agent);
      await gqlOk(B, `{ rejectedUsage(first: 50) { nodes { recordId } } }`, {}, agent);
      await gqlOk(B, `{ usageRecords(filter: { status: UNASSOCIATED }, first: 50) { nodes { recordId } } }`, {}, agent);
      await gqlOk(B, `{ disputes { id status } }`, {}, agent);
      await gqlOk(B, `{ disputes { id status } }`, {}, buyerB);
      await gqlOk(M, `{ buyers { id name isReseller } carriers { id name coverage } }`, {}, admin);
    });
    // The list queries `npm run bench` sends (bench/scale.js, peers.js, batching.js, overhead.js).
    await rec.during('benchLists', async () => {
      const buyerB = await token('BUYER', 'ns-b');
      await gqlOk(B, `{ bills(first: 20) { nodes { id kind total { amount currency } } } }`, {}, agent);
      await gqlOk(B, `{ bills(first: 20) { nodes { id kind } } }`, {}, buyerB);
      await gqlOk(B, `{ rejectedUsage(first: 20) { nodes { recordId reason } } }`, {}, agent);
      await gqlOk(B, `query($f: BillFilter) { bills(filter: $f, first: 5) { nodes { id kind } } }`, { f: { requestId: 'ns-req' } }, buyerB);
    });
    await rec.during('claimSweep', async () => {
      await claimOnce(stack.billing.models, 'ns-expired', 1, new Date(Date.now() - 60_000));
      expect(await sweepExpiredClaims(stack.billing.models)).toBe(1);
    });
    rec.stop();
    expect(req.id).toBeTruthy();

    await copyIndexes(mongoUri(), target.uri, [stack.billing.dbName, stack.moderator.dbName]);
    for (const phase of HOT) expect(rec.ops.filter((o) => o.phase === phase).length).toBeGreaterThan(0);
    const allowed = (s: { where: string; filter: string }) => ALLOWED_SCANS.has(`${s.where} ${s.filter}`);
    const scans = (await findScans(target.uri, rec.ops, HOT)).filter((s) => !allowed(s));
    expect(scans.map((s) => `${s.phase} ${s.where} ${s.filter}`)).toEqual([]);
    // Every sorted read either has a range on its sort key (read in index order, only the page)
    // or is one of the reads listed, with why sorting its matches in Go is bounded.
    expect(sortedWithoutRange(rec.ops, HOT).filter((shape) => !(shape in SORTED_IN_GO))).toEqual([]);
  } finally {
    rec.stop();
    await stack.stop();
    await target.stop();
  }
});
