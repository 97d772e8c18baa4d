// Fan-out of subscription events: an event is serialised once per shared group (same token,
// operation and variables) and every subscriber's socket receives the same bytes, only the
// subscription id differing; in order, none lost, nothing after the client's `complete`.
// A raw graphql-transport-ws client reads the messages exactly as they arrive on the wire.
import WebSocket from 'ws';
import type { GatewayApp } from '../../../gateway/src/app';
import { token } from '../../support/harness';
import { composeTestSupergraph, LedgerState, OrdersState, startLedger, startOrders, startTestGateway, until, type TestSubgraph } from '../../support/gateway-fixtures';

interface RawClient {
  messages: string[];
  send(msg: unknown): void;
  close(): Promise<void>;
}

async function rawClient(gatewayUrl: string, bearer: string): Promise<RawClient> {
  const socket = new WebSocket(gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: string[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const acked = new Promise<void>((resolve) =>
    socket.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      const text = data.toString();
      if (JSON.parse(text).type === 'connection_ack') resolve();
      else messages.push(text);
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${bearer}` } }));
  await acked;
  return {
    messages,
    send: (msg) => socket.send(JSON.stringify(msg)),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}

const QUERY = 'subscription { invoiceIssued { invoice { id total { amount currency } buyer { name } } } }';

describe('subscription fan-out through the gateway', () => {
  const orders = new OrdersState();
  const ledgerState = new LedgerState();
  let ordersSg: TestSubgraph;
  let ledger: Awaited<ReturnType<typeof startLedger>>;
  let gateway: GatewayApp;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    ordersSg = await startOrders(orders);
    ledger = await startLedger(ledgerState);
    gateway = await startTestGateway(composeTestSupergraph({ orders: ordersSg.url, ledger: ledger.url }));
    orders.parties.set('alice', { id: 'alice', name: 'Alice "Quoted" Telecom ✓' });
    orders.orders.set('o-alice', { id: 'o-alice', buyerId: 'alice', routes: [{ origin: 'DE', destination: 'FR' }] });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.stop();
    await ordersSg?.stop();
    await ledger?.stop();
  });

  it('writes the same bytes to every subscriber of a group, only the id differing, in order and without loss', async () => {
    const alice = await token('BUYER', 'alice');
    const a = await rawClient(gateway.url, alice);
    const b = await rawClient(gateway.url, alice);
    clients.push(a, b);
    // Two subscriptions on one connection and one on another: one group (same token, operation, variables).
    a.send({ id: 'first', type: 'subscribe', payload: { query: QUERY } });
    a.send({ id: 'sec"ond', type: 'subscribe', payload: { query: QUERY } });
    b.send({ id: '3', type: 'subscribe', payload: { query: QUERY } });
    await until(() => gateway.activeSubscriptions() === 3 && ledger.activeSubscriptions() === 1, 'three subscribers, one upstream subscription');

    const EVENTS = 30;
    for (let i = 0; i < EVENTS; i++) await ledger.issue({ id: `inv-fan-${i}`, orderId: 'o-alice', buyerId: 'alice', amount: `${i}.00` });
    await until(() => a.messages.length === 2 * EVENTS && b.messages.length === EVENTS, 'every event reached every subscriber');

    const byId = (msgs: string[], id: string) => msgs.filter((m) => JSON.parse(m).id === id);
    const first = byId(a.messages, 'first');
    const second = byId(a.messages, 'sec"ond');
    const third = byId(b.messages, '3');
    for (const list of [first, second, third]) {
      expect(list.map((m) => JSON.parse(m).payload.data.invoiceIssued.invoice.id)).toEqual(Array.from({ length: EVENTS }, (_, i) => `inv-fan-${i}`));
      for (const m of list) expect(JSON.parse(m).type).toBe('next');
    }
    // Byte for byte the same message but for the id.
    const withoutId = (m: string, id: string) => m.replace(`,"id":${JSON.stringify(id)}}`, '');
    for (let i = 0; i < EVENTS; i++) {
      expect(withoutId(second[i], 'sec"ond')).toBe(withoutId(first[i], 'first'));
      expect(withoutId(third[i], '3')).toBe(withoutId(first[i], 'first'));
    }
    expect(JSON.parse(first[0]).payload).toEqual({
      data: { invoiceIssued: { invoice: { id: 'inv-fan-0', total: { amount: '0.00', currency: 'EUR' }, buyer: { name: 'Alice "Quoted" Telecom ✓' } } } },
    });

    // After the client's `complete` nothing more arrives for that id; the others go on.
    a.send({ id: 'first', type: 'complete' });
    await until(() => gateway.activeSubscriptions() === 2, 'one left');
    await ledger.issue({ id: 'inv-fan-after', orderId: 'o-alice', buyerId: 'alice', amount: '1.00' });
    await until(() => b.messages.length === EVENTS + 1 && byId(a.messages, 'sec"ond').length === EVENTS + 1, 'the remaining two received it');
    expect(byId(a.messages, 'first')).toHaveLength(EVENTS);
  });

  it('passes a single-subgraph event through as the subgraph resolved it, and shapes one the planner rewrote', async () => {
    const alice = await token('BUYER', 'alice');
    const c = await rawClient(gateway.url, alice);
    clients.push(c);
    // Only ledger fields, the same selection the planner sends: the event is the result as it is.
    c.send({ id: 'plain', type: 'subscribe', payload: { query: 'subscription { invoiceIssued { invoice { id paid: total { amount } } } }' } });
    // Fragments and a spread the planner inlines: completed by the plan executor as before.
    c.send({
      id: 'shaped',
      type: 'subscribe',
      payload: { query: 'subscription { invoiceIssued { ...F } } fragment F on InvoiceEvent { invoice { id ... on Invoice { paid: total { amount } } } }' },
    });
    await until(() => ledger.activeSubscriptions() >= 2, 'both subscriptions reached the ledger');
    await ledger.issue({ id: 'inv-pass', orderId: 'o-alice', buyerId: 'alice', amount: '7.00' });
    await until(() => c.messages.length === 2, 'both received the event');
    const payloadOf = (id: string) => JSON.parse(c.messages.find((m) => JSON.parse(m).id === id)!).payload;
    const expected = { data: { invoiceIssued: { invoice: { id: 'inv-pass', paid: { amount: '7.00' } } } } };
    expect(payloadOf('plain')).toEqual(expected);
    expect(payloadOf('shaped')).toEqual(expected);
  });
});
