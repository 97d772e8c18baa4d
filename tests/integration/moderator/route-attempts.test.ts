import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { gqlOk, startModerator, uniqueName } from '../../support/harness';
import { bid, CLOSE, createRequest, DAY, until, registerParties } from './helpers';

interface Received {
  role: unknown;
  query: string;
  variables: any;
}

/** A stand-in for billing on real HTTP: records each GraphQL request, fails while `failing`. */
function billingPeer() {
  const received: Received[] = [];
  const state = { failing: true };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { query, variables } = JSON.parse(body);
      const role = decodeJwt((req.headers.authorization ?? '').replace(/^Bearer /, '')).role;
      if (!/recordRouteAttempts/.test(query)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ data: { recordSelection: { __typename: 'SelectionRecord' } } }));
      }
      received.push({ role, query, variables });
      if (state.failing) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        return res.end('billing is down');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { recordRouteAttempts: variables.slots.length } }));
    });
  });
  return { server, received, state };
}

describe('moderator: routing attempts reach billing as absolute totals (real HTTP peer)', () => {
  const peer = billingPeer();
  let mod: Awaited<ReturnType<typeof startModerator>>;

  beforeAll(async () => {
    await new Promise<void>((r) => peer.server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(peer.server.address() as AddressInfo).port}/graphql`;
    mod = await startModerator({
      MODERATOR_DB_NAME: uniqueName('t_mod_attempts'),
      SCHEDULER_ENABLED: 'false',
      OUTBOX_ENABLED: 'true',
      BILLING_URL: url,
      ROUTE_ATTEMPTS_FLUSH_MS: '50',
      OUTBOX_BACKOFF_BASE_MS: '20',
      OUTBOX_BACKOFF_MAX_MS: '100',
    });
  });
  afterAll(async () => {
    await mod.conn.dropDatabase();
    await mod.stop();
    await new Promise((r) => peer.server.close(r));
  });

  it('retries a failed push and sends each changed slot once acknowledged', async () => {
    const parties = await registerParties(mod.url, { buyers: [{ id: 'buyer-a' }], carriers: [{ id: 'carrier-a', coverage: ['44'] }] });
    const start = Date.now() + 2 * DAY;
    const req = await createRequest(mod.url, parties.buyers['buyer-a'].token, {
      routes: [{ origin: '1', destination: '44' }],
      interval: { start: new Date(start).toISOString(), end: new Date(start + 10 * DAY).toISOString() },
    });
    await bid(mod.url, parties.carriers['carrier-a'].token, req.id, '0.01');
    const selectionId = (await gqlOk(mod.url, CLOSE, { id: req.id }, parties.buyers['buyer-a'].token)).closeBidding.selection.id as string;
    await gqlOk(mod.url, `mutation { addCarrierTrunk(input: { name: "t1", host: "sip.example.net" }) { id } }`, {}, parties.carriers['carrier-a'].token);
    const key = (await gqlOk(mod.url, `mutation { createSwitchKey(input: { name: "sw" }) { key } }`, {}, parties.buyers['buyer-a'].token)).createSwitchKey.key;

    const slot = Math.floor((start + DAY) / 300_000) * 300_000;
    const call = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await fetch(`${mod.routeServer.url}/route/json?number=4412&at=${(slot + 1000 * i) / 1000}`, { headers: { 'x-api-key': key } });
        expect(r.status).toBe(200);
      }
    };
    await call(3);
    // Billing down: pushed and refused at least once, the slot stays pending.
    await until(async () => peer.received.length >= 2);
    const pending = await mod.models.RouteAttempt.findOne({ selectionId }).lean();
    expect(pending).toMatchObject({ attempts: 3, pushPending: true, pushedAttempts: 0 });

    peer.state.failing = false;
    const slotIso = new Date(slot).toISOString();
    await until(async () => (await mod.models.RouteAttempt.findOne({ selectionId }).lean())?.pushPending === false);
    const last = peer.received[peer.received.length - 1];
    expect(last.role).toBe('MODERATOR');
    expect(last.variables.slots).toEqual([{ selectionId, slotStart: slotIso, attempts: 3 }]);
    expect(await mod.models.RouteAttempt.findOne({ selectionId }).lean()).toMatchObject({ attempts: 3, pushedAttempts: 3, pushPending: false });

    // Two more attempts: the absolute total 5 is sent, not the increment.
    const before = peer.received.length;
    await call(2);
    const sent = await until(async () => peer.received.slice(before).find((r) => r.variables.slots.some((s: any) => s.attempts === 5)));
    expect(sent.variables.slots).toEqual([{ selectionId, slotStart: slotIso, attempts: 5 }]);
    await until(async () => (await mod.models.RouteAttempt.findOne({ selectionId }).lean())?.pushedAttempts === 5);
  });
});
