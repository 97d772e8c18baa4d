import { gql, gqlOk, startModerator, uniqueName } from '../../support/harness';
import { CLOSE, createRequest, rawBid, registerParties } from './helpers';
import { sleep } from '../../support/wait';

const N = 20;

describe('moderator: bids racing the close', () => {
  let a: Awaited<ReturnType<typeof startModerator>>;
  let b: Awaited<ReturnType<typeof startModerator>>;
  let parties: Awaited<ReturnType<typeof registerParties>>;
  beforeAll(async () => {
    const dbName = uniqueName('t_mod_race');
    const env = { MODERATOR_DB_NAME: dbName, OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' };
    a = await startModerator(env);
    b = await startModerator(env);
    parties = await registerParties(a.url, {
      buyers: [{ id: 'buyer-race' }],
      carriers: Array.from({ length: N }, (_, i) => ({ id: `carrier-${i}`, coverage: ['44'] })),
    });
  });
  afterAll(async () => {
    await a.conn.dropDatabase();
    await b.stop();
    await a.stop();
  });

  it.each([0, 1, 2])('yields exactly one selection, the best of the bids accepted before the close (round %i)', async (round) => {
    const buyer = parties.buyers['buyer-race'];
    const req = await createRequest(a.url, buyer.token, { quantity: '1000' });
    // Distinct prices, so "the best" is unambiguous; the cheapest ones arrive in the middle of the burst.
    const rates = Array.from({ length: N }, (_, i) => ((i * 7 + round * 3) % N) + 10).map((r) => `0.${String(r).padStart(4, '0')}`);
    const bids = rates.map((rate, i) => rawBid(i % 2 ? a.url : b.url, parties.carriers[`carrier-${i}`].token, req.id, rate));
    // Two closes racing each other and the bids, on both instances.
    // The timing IS the test: each round lets the closes start a little later into the burst of bids.
    await sleep(5 + round * 10);
    const closes = [gql(b.url, CLOSE, { id: req.id }, buyer.token), gql(a.url, CLOSE, { id: req.id }, buyer.token)];
    const results = await Promise.all(bids);
    const closed = await Promise.all(closes);

    for (const c of closed) expect(c.errors).toBeUndefined();
    const accepted: { id: string; rate: string }[] = [];
    results.forEach((r, i) => {
      if (r.errors) expect(r.errors.map((e) => e.extensions?.code)).toEqual(['CONFLICT']);
      else accepted.push({ id: r.data!.submitBid.id, rate: rates[i] });
    });

    const selections = await a.models.Selection.find({ requestId: req.id }).lean();
    const final = await gqlOk(a.url, `query($id: ID!) { serviceRequest(id: $id) { status selection { id bid { id } } } }`, { id: req.id }, buyer.token);
    if (accepted.length === 0) {
      expect(selections).toHaveLength(0);
      expect(final.serviceRequest.status).toBe('NO_AWARD');
      return;
    }
    expect(selections).toHaveLength(1);
    const best = [...accepted].sort((x, y) => Number(x.rate) - Number(y.rate))[0];
    expect(selections[0].bidId).toBe(best.id);
    expect(final.serviceRequest).toEqual({ status: 'AWARDED', selection: { id: selections[0]._id, bid: { id: best.id } } });
    // Both closes report the same outcome.
    expect(closed.map((c) => c.data!.closeBidding.selection.id)).toEqual([selections[0]._id, selections[0]._id]);
    // Exactly the accepted bids counted: they are the ACTIVE ones, the full ranking lists them all.
    expect(await a.models.Bid.countDocuments({ requestId: req.id, status: 'ACTIVE' })).toBe(accepted.length);
    expect(await a.models.Bid.countDocuments({ requestId: req.id, status: { $nin: ['ACTIVE', 'REJECTED'] } })).toBe(0);
    const ranking = await gqlOk(a.url, `query($id: ID!) { serviceRequest(id: $id) { ranking { bid { id } } } }`, { id: req.id }, buyer.token);
    expect(ranking.serviceRequest.ranking.map((r: { bid: { id: string } }) => r.bid.id).sort()).toEqual(accepted.map((x) => x.id).sort());
  });
});
