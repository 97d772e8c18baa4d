// Issue 20 (medium, "no connection limit"): 3,000 anonymous WebSocket connections were all accepted,
// and one partner token held 200 connections × 100 subscriptions. Connections are now limited in
// total, per client address and per identity, operations per identity, and a socket that never
// sends connection_init is closed; refusals are counted in gateway_websocket_refusals_total.
import WebSocket from 'ws';
import type { GatewayApp } from '../../../gateway/src/app';
import { token } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, until, type TestSubgraph } from '../../support/gateway-fixtures';
import { subscribe, wsClient, wsUrl, type TestWsClient } from '../../support/ws-client';

/** A raw socket speaking graphql-transport-ws: resolves with its open or its refusal. */
function rawSocket(url: string): Promise<{ ws: WebSocket; status?: number; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })));
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ ws, status: res.statusCode, closed });
      res.resume();
    });
    ws.once('error', () => undefined);
  });
}

const refusals = async (gw: GatewayApp, reason: string) => {
  const metric = (await gw.metrics.wsRefusals.get()).values.find((v) => v.labels.reason === reason);
  return metric?.value ?? 0;
};

describe('WebSocket connection and subscription limits', () => {
  let orders: TestSubgraph;
  let ledger: TestSubgraph;
  let sdl: string;
  const gateways: GatewayApp[] = [];
  const sockets: WebSocket[] = [];
  const clients: TestWsClient[] = [];
  const gateway = async (env: Record<string, string>) => {
    const g = await startTestGateway(sdl, env);
    gateways.push(g);
    return g;
  };

  beforeAll(async () => {
    orders = await startOrders(new OrdersState());
    ledger = await startLedger(new LedgerState());
    sdl = composeTestSupergraph({ orders: orders.url, ledger: ledger.url });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.terminate());
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all(gateways.map((g) => g.stop()));
    await orders?.stop();
    await ledger?.stop();
  });

  it('refuses anonymous connections beyond the per-address limit (429) and the total (503) before the handshake', async () => {
    const perAddress = await gateway({ WS_MAX_CONNECTIONS_PER_ADDRESS: '5', WS_INIT_TIMEOUT_MS: '60000' });
    const opened = await Promise.all(Array.from({ length: 8 }, () => rawSocket(perAddress.url)));
    sockets.push(...opened.map((o) => o.ws));
    expect(opened.filter((o) => o.status === undefined)).toHaveLength(5);
    expect(opened.filter((o) => o.status === 429)).toHaveLength(3);
    expect(await refusals(perAddress, 'address')).toBe(3);
    // A closed connection frees its place.
    opened[0].ws.close();
    await opened[0].closed;
    await until(async () => (await rawSocket(perAddress.url).then((o) => (sockets.push(o.ws), o.status))) === undefined, 'a place is free again');

    const total = await gateway({ WS_MAX_CONNECTIONS: '4', WS_INIT_TIMEOUT_MS: '60000' });
    const more = await Promise.all(Array.from({ length: 6 }, () => rawSocket(total.url)));
    sockets.push(...more.map((o) => o.ws));
    expect(more.filter((o) => o.status === 503)).toHaveLength(2);
    expect(await refusals(total, 'total')).toBe(2);
  });

  it('closes a socket that never sends connection_init with 4408', async () => {
    const g = await gateway({ WS_INIT_TIMEOUT_MS: '200' });
    const o = await rawSocket(g.url);
    sockets.push(o.ws);
    expect((await o.closed).code).toBe(4408);
  });

  it('limits connections per identity (4403) and operations per identity over all its connections', async () => {
    const g = await gateway({ WS_MAX_CONNECTIONS_PER_IDENTITY: '3', MAX_SUBSCRIPTIONS_PER_IDENTITY: '4' });
    const partner = await token('BUYER', 'p-many');
    const cs = Array.from({ length: 4 }, () => wsClient(g.url, partner));
    clients.push(...cs);
    cs.slice(0, 3).forEach((c) => subscribe(c, 'subscription { orderPlaced { id } }'));
    await until(() => g.activeSubscriptions() === 3, 'three subscriptions are open');
    const fourth = await subscribe(cs[3], 'subscription { orderPlaced { id } }').ended;
    expect(fourth.kind).toBe('error');
    expect(cs[3].closes[0]).toEqual({ code: 4403, reason: 'Forbidden: at most 3 connections per identity' });
    expect(await refusals(g, 'identity')).toBe(1);
    // Another identity is not affected.
    const other = wsClient(g.url, await token('BUYER', 'someone-else'));
    clients.push(other);
    subscribe(other, 'subscription { orderPlaced { id } }');
    await until(() => g.activeSubscriptions() === 4, 'the other identity subscribed');

    // 3 open on three connections: a fourth for this identity is allowed, a fifth refused.
    subscribe(cs[0], 'subscription { orderPlaced { id } }');
    await until(() => g.activeSubscriptions() === 5, 'the fourth subscription of the identity is open');
    const fifth = await subscribe(cs[1], 'subscription { orderPlaced { id } }').ended;
    expect(fifth).toMatchObject({ kind: 'error', error: [{ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] });
    expect(await refusals(g, 'identity_subscriptions')).toBe(1);
  });
});
