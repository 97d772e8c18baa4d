import { gql, gqlOk, startModerator, token, uniqueName } from '../../support/harness';
import { countSubscriptions } from '../../support/subscriptions';
import { TOPIC_BILL_RELAYED } from '../../../moderator-subgraph/src/services/events';
import { collect, createRequest, until, wsClient } from './helpers';

describe('moderator: demo seed and relayed-bill subscription', () => {
  const dbName = uniqueName('t_mod_seed');
  let app: Awaited<ReturnType<typeof startModerator>>;
  const clients: ReturnType<typeof wsClient>[] = [];
  beforeAll(async () => {
    app = await startModerator({ MODERATOR_DB_NAME: dbName, SEED_DEMO_DATA: 'true', OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await app.conn.dropDatabase();
    await app.stop();
  });

  it('seeds demo buyers (one a reseller) and carriers with overlapping coverage once', async () => {
    expect(app.seeded).toBe(true);
    const admin = await token('ADMIN', 'admin');
    const d = await gqlOk(app.url, `{ buyers { id isReseller endUsers { id } } carriers { id coverage } }`, {}, admin);
    expect(d.buyers.map((b: { id: string }) => b.id)).toEqual(['buyer-acme', 'buyer-globex', 'buyer-initech']);
    expect(d.buyers.find((b: { id: string }) => b.id === 'buyer-globex')).toEqual({ id: 'buyer-globex', isReseller: true, endUsers: [{ id: 'enduser-globex-hotel' }, { id: 'enduser-globex-clinic' }] });
    // The demo works out of the box: a London request reaches the four carriers covering 44 or 4420.
    const req = await createRequest(app.url, await token('BUYER', 'buyer-acme'), { routes: [{ origin: '1', destination: '44207' }] });
    expect(req.distributionCount).toBe(4);
    const again = await startModerator({ MODERATOR_DB_NAME: dbName, SEED_DEMO_DATA: 'true', OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
    try {
      expect(again.seeded).toBe(false);
      expect(await app.models.Buyer.countDocuments()).toBe(3);
    } finally {
      await again.stop();
    }
  });

  it('pushes a relayed bill to its buyer and carrier only', async () => {
    const sub = `subscription { billRelayed { billId buyerId carrierId total { amount currency } url } }`;
    const mk = async (role: 'BUYER' | 'CARRIER' | 'PARTNER', id: string) => {
      const c = wsClient(app.url, await token(role, id));
      clients.push(c);
      return collect(c, sub);
    };
    const relaySubs = countSubscriptions(app.pubsub);
    const buyer = await mk('BUYER', 'buyer-acme');
    const carrier = await mk('CARRIER', 'carrier-atlas');
    const otherBuyer = await mk('BUYER', 'buyer-initech');
    const otherCarrier = await mk('CARRIER', 'carrier-cygnus');
    const partner = await mk('PARTNER', 'partner-1');
    await partner.ended;
    expect((partner.errors as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    // The four allowed subscriptions listen on the relay topic before any bill is relayed.
    await until(() => relaySubs(TOPIC_BILL_RELAYED) === 4, 'four billRelayed subscriptions at the pub/sub');
    const agent = await token('BILLING_AGENT', 'billing');
    const relay = (input: Record<string, unknown>) => gql(app.url, `mutation($input: BillRelayInput!) { relayBill(input: $input) { id } }`, { input }, agent);
    const input = { billId: 'bill-77', billNumber: 'B-77', kind: 'INVOICE', buyerId: 'buyer-acme', carrierId: 'carrier-atlas', total: { amount: '100.00', currency: 'GBP' }, url: 'https://billing.example/b/77' };
    expect((await relay(input)).errors).toBeUndefined();
    const expected = { billRelayed: { billId: 'bill-77', buyerId: 'buyer-acme', carrierId: 'carrier-atlas', total: { amount: '100', currency: 'GBP' }, url: 'https://billing.example/b/77' } };
    expect(await buyer.waitFor(1)).toEqual([expected]);
    expect(await carrier.waitFor(1)).toEqual([expected]);
    // A repeated relay is the same relay: no second event.
    expect((await relay(input)).errors).toBeUndefined();
    const unknown = await relay({ ...input, billId: 'bill-78', buyerId: 'buyer-nobody' });
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.buyerId' });
    // Events reach a subscriber in order, so a later bill of the others' arriving first proves
    // that bill-77 never reached them; the same for the buyer with a later bill of its own.
    const later = { ...input, billId: 'bill-79', billNumber: 'B-79', buyerId: 'buyer-initech', carrierId: 'carrier-cygnus' };
    expect((await relay(later)).errors).toBeUndefined();
    expect((await otherBuyer.waitFor(1)).map((e: any) => e.billRelayed.billId)).toEqual(['bill-79']);
    expect((await otherCarrier.waitFor(1)).map((e: any) => e.billRelayed.billId)).toEqual(['bill-79']);
    expect((await relay({ ...input, billId: 'bill-80', billNumber: 'B-80' })).errors).toBeUndefined();
    expect((await buyer.waitFor(2)).map((e: any) => e.billRelayed.billId)).toEqual(['bill-77', 'bill-80']);
  });
});
