import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import { createTokenVerifier } from '@exchange/platform';
import { gqlOk, startModerator, uniqueName } from '../../support/harness';
import { bid, CLOSE, createRequest, until, registerParties } from './helpers';

// The billing side of CONTRACTS.md, served by a real HTTP GraphQL peer that can be taken down.
const CONTRACT = buildSchema(`
  scalar DateTime
  scalar Decimal
  enum ServiceType { VOICE DATA }
  enum ServiceUnit { MINUTE GB MBPS }
  enum TierModel { GRADUATED VOLUME }
  enum DataChargeModel { VOLUME_GB PERCENTILE_95 }
  input RouteSegmentInput { origin: String! destination: String! network: String }
  input IntervalInput { start: DateTime! end: DateTime! }
  input RateTierInput { fromQuantity: Decimal! ratePerUnit: Decimal! }
  input BillingIncrementInput { initialSeconds: Int! subsequentSeconds: Int! }
  input EconomicIncentiveInput {
    currency: String! ratePerUnit: Decimal! tiers: [RateTierInput!] tierModel: TierModel
    billingIncrement: BillingIncrementInput dataChargeModel: DataChargeModel
    minimumCharge: Decimal setupFee: Decimal
  }
  input SelectionRecordInput {
    selectionId: ID! requestId: ID! buyerId: ID! buyerIsReseller: Boolean! endUserIds: [ID!] carrierId: ID!
    routes: [RouteSegmentInput!]! serviceType: ServiceType! interval: IntervalInput!
    quantity: Decimal! unit: ServiceUnit! incentive: EconomicIncentiveInput! selectedAt: DateTime!
  }
  type SelectionRecord { id: ID! }
  type Query { ok: Boolean }
  type Mutation { recordSelection(input: SelectionRecordInput!): SelectionRecord! }
`);

function billingPeer() {
  const verifier = createTokenVerifier({});
  const state = {
    up: false,
    refused: 0,
    calls: [] as string[],
    records: new Map<string, Record<string, any>>(),
    identities: new Set<string>(),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      if (!state.up) {
        state.refused++;
        res.writeHead(503, { 'content-type': 'text/plain' }).end('billing is down for maintenance');
        return;
      }
      try {
        const id = await verifier.verify(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
        state.identities.add(`${id.role}:${id.sub}`);
        const { query, variables } = JSON.parse(body);
        const result = await graphql({
          schema: CONTRACT,
          source: query,
          variableValues: variables,
          rootValue: {
            recordSelection: ({ input }: { input: Record<string, any> }) => {
              state.calls.push(input.selectionId);
              // Idempotent by selectionId, as the contract requires.
              if (!state.records.has(input.selectionId)) state.records.set(input.selectionId, input);
              return { id: `rec-${input.selectionId}` };
            },
          },
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } catch (err) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: (err as Error).message }] }));
      }
    });
  });
  return {
    state,
    async start() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('moderator: selection records reach billing through the outbox', () => {
  const peer = billingPeer();
  let a: Awaited<ReturnType<typeof startModerator>>;
  let b: Awaited<ReturnType<typeof startModerator>>;
  beforeAll(async () => {
    const url = await peer.start();
    const env = {
      MODERATOR_DB_NAME: uniqueName('t_mod_outbox'),
      BILLING_URL: url,
      SCHEDULER_ENABLED: 'false',
      OUTBOX_INTERVAL_MS: '25',
      OUTBOX_BACKOFF_BASE_MS: '10',
      OUTBOX_BACKOFF_MAX_MS: '80',
    };
    a = await startModerator(env);
    b = await startModerator(env);
  });
  afterAll(async () => {
    await a.conn.dropDatabase();
    await b.stop();
    await a.stop();
    await peer.stop();
  });

  it('retries while billing is down and delivers every selection exactly once when it is back', async () => {
    const parties = await registerParties(a.url, {
      buyers: [{ id: 'buyer-plain' }, { id: 'buyer-resell', isReseller: true, endUsers: [{ id: 'eu-9', name: 'Shop' }] }],
      carriers: [{ id: 'carrier-o1', coverage: ['44'] }, { id: 'carrier-o2', coverage: ['4420'] }],
    });
    const selections: { id: string; requestId: string; buyer: string; carrier: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const buyer = i % 2 ? 'buyer-resell' : 'buyer-plain';
      const req = await createRequest(a.url, parties.buyers[buyer].token, { quantity: '500', routes: [{ origin: '1', destination: '44207', network: 'PSTN' }] });
      await bid(a.url, parties.carriers['carrier-o1'].token, req.id, '0.011', {
        incentive: { currency: 'GBP', ratePerUnit: '0.011', tiers: [{ fromQuantity: '1000', ratePerUnit: '0.009' }], billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 }, setupFee: '2.50' },
      });
      await bid(b.url, parties.carriers['carrier-o2'].token, req.id, i < 3 ? '0.020' : '0.005');
      const closed = (await gqlOk(i % 2 ? a.url : b.url, CLOSE, { id: req.id }, parties.buyers[buyer].token)).closeBidding;
      selections.push({ id: closed.selection.id, requestId: req.id, buyer, carrier: i < 3 ? 'carrier-o1' : 'carrier-o2' });
    }

    // Billing is down: every selection is attempted again and again, with the error kept.
    await until(async () => (await a.models.Selection.countDocuments({ 'delivery.attempts': { $gte: 3 } })) === 6);
    expect(peer.state.records.size).toBe(0);
    const pending = await gqlOk(a.url, `query($id: ID!) { selection(id: $id) { billingDelivery { state attempts lastError deliveredAt } } }`, { id: selections[0].id }, parties.admin);
    expect(pending.selection.billingDelivery.state).toMatch(/^(PENDING|DELIVERING)$/);
    expect(pending.selection.billingDelivery.attempts).toBeGreaterThanOrEqual(3);
    expect(pending.selection.billingDelivery.lastError).toContain('503');
    expect(pending.selection.billingDelivery.deliveredAt).toBeNull();
    // Not for the buyer's eyes.
    const asBuyer = await gqlOk(a.url, `query($id: ID!) { selection(id: $id) { id billingDelivery { state } } }`, { id: selections[0].id }, parties.buyers['buyer-plain'].token);
    expect(asBuyer.selection).toEqual({ id: selections[0].id, billingDelivery: null });

    peer.state.up = true;
    await until(async () => (await a.models.Selection.countDocuments({ 'delivery.state': 'DELIVERED' })) === 6, 'all six selections delivered');
    // Any duplicate attempt would be claimed by a run that started before the last delivery:
    // two more complete runs on each instance let every such run finish.
    const [ra, rb] = [a.outbox!.ticker.runs, b.outbox!.ticker.runs];
    await until(() => a.outbox!.ticker.runs >= ra + 2 && b.outbox!.ticker.runs >= rb + 2, 'two more outbox runs on each instance');

    // Exactly once: one successful call per selection, across both instances.
    expect([...peer.state.calls].sort()).toEqual(selections.map((s) => s.id).sort());
    expect(peer.state.identities).toEqual(new Set(['MODERATOR:moderator']));
    for (const s of selections) {
      const rec = peer.state.records.get(s.id)!;
      expect(rec).toMatchObject({
        selectionId: s.id,
        requestId: s.requestId,
        buyerId: s.buyer,
        buyerIsReseller: s.buyer === 'buyer-resell',
        // The buyer's registered end users (issue 12): billing refuses usage for any other.
        endUserIds: s.buyer === 'buyer-resell' ? ['eu-9'] : [],
        carrierId: s.carrier,
        routes: [{ origin: '1', destination: '44207', network: 'PSTN' }],
        serviceType: 'VOICE',
        quantity: '500',
        unit: 'MINUTE',
      });
      if (s.carrier === 'carrier-o1') {
        expect(rec.incentive).toEqual({
          currency: 'GBP', ratePerUnit: '0.011', tiers: [{ fromQuantity: '1000', ratePerUnit: '0.009' }], tierModel: 'GRADUATED',
          billingIncrement: { initialSeconds: 30, subsequentSeconds: 6 }, setupFee: '2.5',
        });
      } else {
        expect(rec.incentive).toEqual({ currency: 'GBP', ratePerUnit: '0.005', tiers: [], tierModel: 'GRADUATED', billingIncrement: { initialSeconds: 60, subsequentSeconds: 60 } });
      }
    }
    // Claims are cleaned up once delivered.
    await until(async () => (await a.models.DeliveryClaim.countDocuments()) === 0);
    const done = await gqlOk(a.url, `query($id: ID!) { selection(id: $id) { billingDelivery { state lastError deliveredAt } } }`, { id: selections[5].id }, parties.admin);
    expect(done.selection.billingDelivery.state).toBe('DELIVERED');
    expect(done.selection.billingDelivery.lastError).toBeNull();
    expect(Date.parse(done.selection.billingDelivery.deliveredAt)).not.toBeNaN();
  });
});
