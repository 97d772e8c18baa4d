import { gqlOk, startModerator, uniqueName } from '../../support/harness';
import { bid, createRequest, until, registerParties } from './helpers';

describe('moderator: the closing scheduler with two instances on one database', () => {
  let a: Awaited<ReturnType<typeof startModerator>>;
  let b: Awaited<ReturnType<typeof startModerator>>;
  beforeAll(async () => {
    const env = { MODERATOR_DB_NAME: uniqueName('t_mod_sched'), OUTBOX_ENABLED: 'false', SCHEDULER_INTERVAL_MS: '40' };
    a = await startModerator(env);
    b = await startModerator(env);
  });
  afterAll(async () => {
    await a.conn.dropDatabase();
    await b.stop();
    await a.stop();
  });

  it('closes each due request exactly once, awarding the best bid, and leaves the others open', async () => {
    const parties = await registerParties(a.url, {
      buyers: [{ id: 'buyer-s' }],
      carriers: [{ id: 'carrier-cheap', coverage: ['44'] }, { id: 'carrier-dear', coverage: ['44'] }],
    });
    const buyer = parties.buyers['buyer-s'];
    const due: string[] = [];
    for (let i = 0; i < 12; i++) {
      const req = await createRequest(i % 2 ? a.url : b.url, buyer.token, { quantity: '100' });
      if (i < 10) await bid(a.url, parties.carriers['carrier-dear'].token, req.id, '0.02');
      if (i < 8) await bid(b.url, parties.carriers['carrier-cheap'].token, req.id, '0.01');
      due.push(req.id);
    }
    const notDue = due.splice(10);
    // Time travel for the fixture: bidding on the first ten closes now (after their bids).
    await a.models.ServiceRequest.updateMany({ _id: { $in: due } }, { $set: { biddingClosesAt: new Date() } });

    await until(async () => (await a.models.ServiceRequest.countDocuments({ _id: { $in: due }, status: 'OPEN' })) === 0);
    expect(a.services.auction.closesClaimed + b.services.auction.closesClaimed).toBe(10);
    const sels = await a.models.Selection.find({ requestId: { $in: due } }).lean();
    expect(sels).toHaveLength(10);
    const byRequest = new Map(sels.map((s) => [s.requestId, s.carrierId]));
    due.forEach((id, i) => expect(byRequest.get(id)).toBe(i < 8 ? 'carrier-cheap' : 'carrier-dear'));
    const statuses = await gqlOk(a.url, `{ serviceRequests(first: 20) { id status } }`, {}, buyer.token);
    const status = Object.fromEntries(statuses.serviceRequests.map((r: { id: string; status: string }) => [r.id, r.status]));
    for (const id of due) expect(status[id]).toBe('AWARDED');
    for (const id of notDue) expect(status[id]).toBe('OPEN');
    // Further ticks change nothing: two more runs on each instance.
    const [ra, rb] = [a.scheduler!.runs, b.scheduler!.runs];
    await until(() => a.scheduler!.runs >= ra + 2 && b.scheduler!.runs >= rb + 2, 'two more scheduler runs on each instance');
    expect(a.services.auction.closesClaimed + b.services.auction.closesClaimed).toBe(10);
    expect(await a.models.Selection.countDocuments()).toBe(10);
  });

  it('completes a close whose closer died, once its lease has passed', async () => {
    const parties = await registerParties(a.url, { buyers: [{ id: 'buyer-t' }], carriers: [{ id: 'carrier-t', coverage: ['44'] }] });
    const req = await createRequest(a.url, parties.buyers['buyer-t'].token, { quantity: '100' });
    await bid(a.url, parties.carriers['carrier-t'].token, req.id, '0.01');
    // A closer that appended its CLOSE long ago and died before completing it.
    const at = new Date(Date.now() - 3600_000);
    await a.models.ServiceRequest.updateOne({ _id: req.id }, { $set: { biddingClosesAt: new Date() } });
    const last = await a.models.AuctionLog.find({ requestId: req.id }).sort({ seq: -1 }).limit(1).lean();
    await a.models.AuctionLog.create({ _id: `${req.id}:${String(last[0].seq + 1).padStart(9, '0')}`, requestId: req.id, seq: last[0].seq + 1, kind: 'CLOSE', at, by: 'dead-instance' });
    const closed = await until(async () => {
      const r = await a.models.ServiceRequest.findById(req.id).lean();
      return r?.status === 'AWARDED' ? r : null;
    });
    expect(closed.closedBy).toBe('dead-instance');
    expect(new Date(closed.closingAt!).getTime()).toBe(at.getTime());
    expect(await a.models.Selection.countDocuments({ requestId: req.id })).toBe(1);
  });
});
