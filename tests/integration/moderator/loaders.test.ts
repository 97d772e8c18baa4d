import { gqlOk, startModerator } from '../../support/harness';
import { bid, createRequest, registerParties } from './helpers';

describe('moderator: database round trips do not grow with the number of entities', () => {
  let app: Awaited<ReturnType<typeof startModerator>>;
  let parties: Awaited<ReturnType<typeof registerParties>>;
  const ops: string[] = [];
  beforeAll(async () => {
    app = await startModerator({ OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
    parties = await registerParties(app.url, {
      buyers: [{ id: 'buyer-l' }],
      carriers: Array.from({ length: 12 }, (_, i) => ({ id: `carrier-l${i}`, coverage: ['44'] })),
    });
    // Every collection operation mongoose sends on this connection.
    app.conn.set('debug', (collection: string, method: string) => void ops.push(`${collection}.${method}`));
  });
  afterAll(async () => {
    app.conn.set('debug', false);
    await app.conn.dropDatabase();
    await app.stop();
  });

  async function requestWithBids(n: number) {
    const buyer = parties.buyers['buyer-l'];
    const req = await createRequest(app.url, buyer.token);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await bid(app.url, parties.carriers[`carrier-l${i}`].token, req.id, `0.0${i + 10}`)).id);
    return { id: req.id, bidIds: ids };
  }

  async function count(fn: () => Promise<unknown>): Promise<string[]> {
    ops.length = 0;
    await fn();
    return [...ops];
  }

  it('lists N bids with their carriers, ranking and board in a constant number of queries', async () => {
    const token = parties.buyers['buyer-l'].token;
    const q = `query($id: ID!) { serviceRequest(id: $id) {
      bids { id carrier { id name } request { id } estimatedCost { total } }
      ranking { rank bid { id carrier { name } } }
      board { entries { carrier { id } bid { id } } } } }`;
    const small = await requestWithBids(2);
    const large = await requestWithBids(12);
    const opsSmall = await count(() => gqlOk(app.url, q, { id: small.id }, token));
    const opsLarge = await count(async () => {
      const d = await gqlOk(app.url, q, { id: large.id }, token);
      expect(d.serviceRequest.bids).toHaveLength(12);
      expect(d.serviceRequest.ranking).toHaveLength(12);
    });
    // request, bids, carriers, auction log (+ nothing per bid).
    expect([...opsLarge].sort()).toEqual([...opsSmall].sort());
    expect(new Set(opsLarge)).toEqual(new Set(['service_requests.find', 'bids.find', 'carriers.find', 'auction_log.find']));
    expect(opsLarge.length).toBeLessThanOrEqual(6);
  });

  it('resolves N entity references (as the gateway sends them) in a constant number of queries', async () => {
    const admin = parties.admin;
    const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Bid { id carrier { name } request { id } } ... on Carrier { id name } } }`;
    const a = await requestWithBids(3);
    const b = await requestWithBids(10);
    const reps = (r: { bidIds: string[] }) => [
      ...r.bidIds.map((id) => ({ __typename: 'Bid', id })),
      ...r.bidIds.map((_, i) => ({ __typename: 'Carrier', id: `carrier-l${i}` })),
    ];
    const small = await count(() => gqlOk(app.url, q, { r: reps(a) }, admin));
    const large = await count(async () => {
      const d = await gqlOk(app.url, q, { r: reps(b) }, admin);
      expect(d._entities).toHaveLength(20);
      expect(d._entities[0].carrier.name).toBe('Carrier carrier-l0');
    });
    expect([...large].sort()).toEqual([...small].sort());
    expect(new Set(large)).toEqual(new Set(['bids.find', 'carriers.find', 'service_requests.find']));
  });
});
