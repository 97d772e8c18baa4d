import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorCodes, gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, billingRecords, recordSelection, voice, type Billing } from './fixtures';

const REGISTER = `mutation($i: UsageFeedInput!) { registerUsageFeed(input: $i) { id url equipmentId buyerIds intervalSeconds cursor consecutiveFailures } }`;
const POLL = `mutation($id: ID!) { pollUsageFeed(id: $id) { id cursor lastError consecutiveFailures acceptedTotal duplicatesTotal rejectedTotal lastSuccessAt nextPollAt } }`;

describe('pull mode: usage feeds polled over HTTP with a cursor', () => {
  let b: Billing;
  let equipment: Server;
  let url: string;
  const requests: (string | null)[] = [];
  let failNext = 0;
  // The equipment's records, served in pages of 2; the cursor is the next offset.
  const records = [
    voice({ recordId: 'feed-1', seconds: 60, buyerId: 'feed-buyer', carrierId: 'feed-carrier', source: 'MEASURING_EQUIPMENT' }),
    voice({ recordId: 'feed-2', seconds: 120, buyerId: 'feed-buyer', carrierId: 'feed-carrier', source: 'MEASURING_EQUIPMENT' }),
    voice({ recordId: 'feed-3', seconds: 60, buyerId: 'feed-buyer', carrierId: 'feed-carrier', source: 'MEASURING_EQUIPMENT' }),
    { ...voice({ recordId: 'feed-4', seconds: 60, buyerId: 'not-on-this-feed', carrierId: 'feed-carrier' }), source: undefined },
    { recordId: 'feed-bad', quantity: 'lots' },
  ];

  beforeAll(async () => {
    equipment = createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      const cursor = u.searchParams.get('cursor');
      requests.push(cursor);
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end('meter rebooting');
        return;
      }
      const from = Number(cursor ?? '0');
      const page = records.slice(from, from + 2).map((r) => {
        const { source: _s, ...rest } = r as Record<string, unknown>;
        return rest;
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ records: page, nextCursor: String(Math.min(from + 2, records.length)) }));
    });
    await new Promise<void>((r) => equipment.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(equipment.address() as AddressInfo).port}/usage`;
    b = await startBilling({ WORKERS: 'false' });
    await recordSelection(b, { selectionId: 'feed-sel', requestId: 'feed-req', buyerId: 'feed-buyer', carrierId: 'feed-carrier', incentive: { currency: 'USD', ratePerUnit: '0.6' } });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
    equipment.close();
  });

  it('only the billing agent or admin registers and polls feeds, with validated input', async () => {
    const input = { url, equipmentId: 'meter-feed', buyerIds: ['feed-buyer'], intervalSeconds: 300 };
    expect(errorCodes(await gql(b.url, REGISTER, { i: input }, await token('CARRIER', 'feed-carrier')))).toEqual(['FORBIDDEN']);
    const bad = await gql(b.url, REGISTER, { i: { ...input, url: 'ftp://x' } }, await agentToken());
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    const bad2 = await gql(b.url, REGISTER, { i: { ...input, intervalSeconds: 0 } }, await agentToken());
    expect(bad2.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.intervalSeconds' });
  });

  it('reads every page once, advances the cursor, retries a failed poll and keeps the error visible', async () => {
    const agent = await agentToken();
    const feed = (await gqlOk(b.url, REGISTER, { i: { url, equipmentId: 'meter-feed', buyerIds: ['feed-buyer'], intervalSeconds: 300 } }, agent)).registerUsageFeed;
    expect(feed).toMatchObject({ equipmentId: 'meter-feed', cursor: null, consecutiveFailures: 0 });

    failNext = 1;
    const failed = (await gqlOk(b.url, POLL, { id: feed.id }, agent)).pollUsageFeed;
    expect(failed).toMatchObject({ cursor: null, lastError: 'feed answered HTTP 500', consecutiveFailures: 1, acceptedTotal: 0 });
    expect(new Date(failed.nextPollAt).getTime()).toBeGreaterThan(Date.now() + 300_000); // backoff beyond the interval

    requests.length = 0;
    const ok = (await gqlOk(b.url, POLL, { id: feed.id }, agent)).pollUsageFeed;
    // pages: [1,2] -> "2", [3,4] -> "4", [bad] -> "5", [] -> "5"
    expect(requests).toEqual([null, '2', '4', '5']);
    expect(ok).toMatchObject({ cursor: '5', lastError: null, consecutiveFailures: 0, acceptedTotal: 3, duplicatesTotal: 0, rejectedTotal: 2 });
    const recs = await billingRecords(b, 'feed-req');
    // Ids are scoped to the reporter (the feed) and its equipment.
    expect(recs.map((r) => r.id.split('|')[0]).sort()).toEqual(['MEASURING_EQUIPMENT:feed-1', 'MEASURING_EQUIPMENT:feed-2', 'MEASURING_EQUIPMENT:feed-3']);
    const rejected = (await gqlOk(b.url, `{ rejectedUsage(first: 10) { nodes { recordId reason reportedBy } } }`, {}, agent)).rejectedUsage.nodes;
    expect(rejected.map((r: any) => r.recordId).sort()).toEqual(['feed-4', 'feed-bad']);
    expect(rejected.find((r: any) => r.recordId === 'feed-4').reason).toBe('this feed is not registered for buyer not-on-this-feed');

    // the next poll starts at the stored cursor: nothing is read twice
    requests.length = 0;
    const again = (await gqlOk(b.url, POLL, { id: feed.id }, agent)).pollUsageFeed;
    expect(requests).toEqual(['5']);
    expect(again).toMatchObject({ acceptedTotal: 3, duplicatesTotal: 0 });
  });

  it('the poller worker picks up due feeds on its own schedule', async () => {
    const worker = await startBilling({ WORKERS: 'false' });
    try {
      await recordSelection(worker, { selectionId: 'feed-sel', requestId: 'feed-req', buyerId: 'feed-buyer', carrierId: 'feed-carrier', incentive: { currency: 'USD', ratePerUnit: '0.6' } });
      const feed = (await gqlOk(worker.url, REGISTER, { i: { url, equipmentId: 'meter-feed', intervalSeconds: 60 } }, await agentToken())).registerUsageFeed;
      await worker.runWorkersOnce();
      const state = (await gqlOk(worker.url, `query($id: ID!) { usageFeed(id: $id) { cursor acceptedTotal rejectedTotal } }`, { id: feed.id }, await agentToken())).usageFeed;
      // no buyer restriction on this feed: feed-4 is accepted (kept UNASSOCIATED), feed-bad rejected
      expect(state).toEqual({ cursor: '5', acceptedTotal: 4, rejectedTotal: 1 });
    } finally {
      await worker.conn.dropDatabase();
      await worker.stop();
    }
  });
});
