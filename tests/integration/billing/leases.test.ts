// Database leases (store/leases.ts): mutual exclusion between two connections (as two processes
// have), takeover of a lapsed lease, bounded waiting with a clear error, nothing kept on failure.
import mongoose from 'mongoose';
import { acquireLeases, LeaseBusyError, leaseModel, releaseLeases, withLeases, type LeaseDoc } from '../../../billing-subgraph/src/store/leases';
import { mongoUri, uniqueName } from '../../support/harness';
import { sleep } from '../../support/wait';

describe('database leases', () => {
  const dbName = uniqueName('t_leases');
  let conns: mongoose.Connection[];
  let leases: mongoose.Model<LeaseDoc>[];
  const fast = { ttlMs: 30_000, maxWaitMs: 20_000, baseDelayMs: 1, maxDelayMs: 20 };
  beforeAll(async () => {
    conns = await Promise.all([0, 1].map(() => mongoose.createConnection(mongoUri(), { dbName }).asPromise()));
    leases = conns.map(leaseModel);
  });
  afterAll(async () => {
    await conns[0].dropDatabase();
    await Promise.all(conns.map((c) => c.close()));
  });

  it('lets one holder at a time into overlapping key sets, across connections', async () => {
    const inside = new Map<string, number>();
    let overlaps = 0;
    let runs = 0;
    const sets = [['a', 'b'], ['b', 'c'], ['c', 'a'], ['a'], ['c', 'b', 'a']];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withLeases(leases[i % 2], sets[i % sets.length], async () => {
          const keys = sets[i % sets.length];
          for (const k of keys) {
            if (inside.get(k)) overlaps++;
            inside.set(k, 1);
          }
          // Holding the keys a while is the behaviour under test: an overlapping holder would show.
          await sleep(5);
          for (const k of keys) inside.set(k, 0);
          runs++;
        }, { timing: fast }),
      ),
    );
    expect(runs).toBe(20);
    expect(overlaps).toBe(0);
    expect(await leases[0].countDocuments({})).toBe(0);
  });

  it('takes over a lease whose holder stopped renewing it', async () => {
    await leases[0].create({ _id: 'dead', owner: 'crashed-process', expiresAt: new Date(Date.now() - 1) });
    await acquireLeases(leases[1], ['dead'], 'me', fast);
    expect((await leases[0].findById('dead').lean())!.owner).toBe('me');
    await releaseLeases(leases[1], ['dead'], 'someone-else');
    expect(await leases[0].countDocuments({ _id: 'dead' })).toBe(1);
    await releaseLeases(leases[1], ['dead'], 'me');
    expect(await leases[0].countDocuments({ _id: 'dead' })).toBe(0);
  });

  it("takes over at once a live lease its own queue's earlier turn left behind (its release was lost), never another queue's", async () => {
    await leases[0].create({ _id: 'left', owner: 'queue-a:turn-1', group: 'queue-a', expiresAt: new Date(Date.now() + 60_000) });
    await acquireLeases(leases[1], ['left'], 'queue-a:turn-2', { ...fast, maxWaitMs: 100 }, 'queue-a');
    expect((await leases[0].findById('left').lean())!.owner).toBe('queue-a:turn-2');
    const err = await acquireLeases(leases[1], ['left'], 'queue-b:turn-1', { ...fast, maxWaitMs: 100 }, 'queue-b').catch((e) => e);
    expect(err).toBeInstanceOf(LeaseBusyError);
    await releaseLeases(leases[1], ['left'], 'queue-a:turn-2');
  });

  it('gives up after the bounded wait naming the key and its holder, keeping none of the keys it took', async () => {
    await leases[0].create({ _id: 'k2', owner: 'busy-holder', expiresAt: new Date(Date.now() + 60_000) });
    const err = await acquireLeases(leases[1], ['k3', 'k1', 'k2'], 'waiter', { ...fast, maxWaitMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(LeaseBusyError);
    expect(err.message).toMatch(/lease k2 is held by busy-holder/);
    expect((await leases[0].find({}).lean()).map((l) => l._id)).toEqual(['k2']);
    await leases[0].deleteMany({});
  });

  it('keeps the keys of a long run: renewals extend them past their first expiry', async () => {
    const short = { ...fast, ttlMs: 150 };
    let seen: Date | undefined;
    await withLeases(leases[0], ['long'], async () => {
      const first = (await leases[0].findById('long').lean())!.expiresAt;
      // Running past the first expiry (ttl 150 ms) is the behaviour under test.
      await sleep(400);
      seen = (await leases[0].findById('long').lean())!.expiresAt;
      expect(seen.getTime()).toBeGreaterThan(first.getTime());
      // A competitor cannot take it meanwhile.
      await expect(acquireLeases(leases[1], ['long'], 'rival', { ...short, maxWaitMs: 50 })).rejects.toBeInstanceOf(LeaseBusyError);
    }, { timing: short });
    expect(seen).toBeDefined();
    expect(await leases[0].countDocuments({})).toBe(0);
  });
});
