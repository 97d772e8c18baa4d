import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { jwtVerify } from 'jose';
import { DEV_JWT_SECRET } from '@exchange/platform';
import { verifyWebhook } from '../../../billing-subgraph/src/domain';
import { errorCodes, gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, recordSelection, type Billing } from './fixtures';
import { until } from '../../support/wait';
import { countSubscriptions } from '../../support/subscriptions';
import { BILL_ISSUED_TOPIC } from '../../../billing-subgraph/src/services/deps';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

async function listen(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}


const DELIVERIES = `query($id: ID!) { bill(id: $id) { id number deliveries { recipientId recipientRole channel path state attempts lastError } } }`;

describe('bill delivery: signed webhooks with retries, the billIssued subscription, relay through the Moderator', () => {
  let b: Billing;
  let hook: { server: Server; url: string };
  let moderator: { server: Server; url: string };
  const hookHits: Received[] = [];
  const relayHits: { auth: string | undefined; body: any }[] = [];
  let failFirst = true;

  beforeAll(async () => {
    hook = await listen((req, body, res) => {
      hookHits.push({ headers: req.headers, body });
      if (failFirst) {
        failFirst = false;
        res.writeHead(503).end('busy');
      } else res.writeHead(204).end();
    });
    moderator = await listen((req, body, res) => {
      const parsed = JSON.parse(body);
      relayHits.push({ auth: req.headers.authorization, body: parsed });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { relayBill: { id: `relay-${parsed.variables.input.billId}`, billId: parsed.variables.input.billId } } }));
    });
    b = await startBilling({
      WORKER_INTERVAL_MS: '50',
      DELIVERY_BACKOFF_BASE_MS: '50',
      BILL_DELIVERY_PATH: 'VIA_MODERATOR',
      MODERATOR_URL: `${moderator.url}/graphql`,
      // The receiver runs on this machine (a private network's own receiver).
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
    hook.server.close();
    moderator.server.close();
  });

  it('lets only the party itself (or the billing agent) register its webhook', async () => {
    const m = `mutation($i: BillingWebhookInput!) { registerBillingWebhook(input: $i) { partyId url } }`;
    const input = { partyId: 'wh-buyer', url: `${hook.url}/hooks/bills`, secret: 'whsec-0123456789abcdef' };
    expect(errorCodes(await gql(b.url, m, { i: input }, await token('BUYER', 'someone-else')))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(b.url, m, { i: { ...input, secret: 'short' } }, await token('BUYER', 'wh-buyer')))).toEqual(['BAD_USER_INPUT']);
    const ok = await gqlOk(b.url, m, { i: input }, await token('BUYER', 'wh-buyer'));
    expect(ok.registerBillingWebhook).toEqual({ partyId: 'wh-buyer', url: `${hook.url}/hooks/bills` });
  });

  it('posts a signed webhook, retries a failed attempt with backoff, and relays through the Moderator', async () => {
    const billIssuedSubs = countSubscriptions(b.pubsub);
    const buyerWs = createClient({ url: b.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await token('BUYER', 'wh-buyer')}` }, lazy: false });
    const events: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      buyerWs.subscribe({ query: `subscription { billIssued { id kind buyer { id } total { amount currency } } }` }, {
        next: (v) => {
          events.push(v.data?.billIssued);
          resolve();
        },
        error: reject,
        complete: () => undefined,
      });
    });
    await until(() => billIssuedSubs(BILL_ISSUED_TOPIC) === 1, 'the buyer\'s billIssued subscription to reach the pub/sub');
    await recordSelection(b, { selectionId: 'wh-other', buyerId: 'other-buyer', carrierId: 'wh-carrier' });
    const s = await recordSelection(b, { selectionId: 'wh-sel', buyerId: 'wh-buyer', carrierId: 'wh-carrier', incentive: { currency: 'USD', ratePerUnit: '0.01' } });
    await done;
    buyerWs.dispose();
    // the buyer only ever sees its own bill on the subscription
    expect(events).toEqual([{ id: s.advanceBill.id, kind: 'ADVANCE', buyer: { id: 'wh-buyer' }, total: { amount: '1.00', currency: 'USD' } }]);

    const agent = await agentToken();
    const bill = await until(async () => {
      const r = (await gqlOk(b.url, DELIVERIES, { id: s.advanceBill.id }, agent)).bill;
      const d = r.deliveries.find((x: any) => x.channel === 'WEBHOOK');
      return d?.state === 'DELIVERED' && r.deliveries.filter((x: any) => x.channel === 'MODERATOR_RELAY' && x.state === 'DELIVERED').length === 2 ? r : null;
    }, 'webhook and relay deliveries');
    const webhook = bill.deliveries.find((x: any) => x.channel === 'WEBHOOK');
    expect(webhook).toMatchObject({ recipientId: 'wh-buyer', recipientRole: 'BUYER', path: 'DIRECT', state: 'DELIVERED', attempts: 2, lastError: null });
    // the carrier registered no webhook: website + subscription (+ relay) only
    expect(bill.deliveries.filter((x: any) => x.recipientRole === 'CARRIER').map((x: any) => `${x.channel}/${x.path}`).sort()).toEqual(['MODERATOR_RELAY/VIA_MODERATOR', 'SUBSCRIPTION/DIRECT', 'WEBSITE/DIRECT']);

    const mine = hookHits.filter((h) => JSON.parse(h.body).bill.id === s.advanceBill.id);
    expect(mine).toHaveLength(2);
    for (const h of mine) {
      const v = verifyWebhook('whsec-0123456789abcdef', String(h.headers['x-billing-signature']), h.body);
      expect(v.ok).toBe(true);
      expect(verifyWebhook('wrong-secret-0123456', String(h.headers['x-billing-signature']), h.body).ok).toBe(false);
    }
    const payload = JSON.parse(mine[1].body);
    expect(payload).toMatchObject({ type: 'bill.issued', bill: { id: s.advanceBill.id, number: bill.number, kind: 'ADVANCE', buyerId: 'wh-buyer', carrierId: 'wh-carrier', total: { amount: '1.00', currency: 'USD' } } });

    const relays = relayHits.filter((r) => r.body.variables.input.billId === s.advanceBill.id);
    expect(relays.length).toBeGreaterThanOrEqual(1);
    expect(relays[0].body.variables.input).toMatchObject({ billNumber: bill.number, kind: 'ADVANCE', buyerId: 'wh-buyer', carrierId: 'wh-carrier', requestId: 'req-wh-sel', total: { amount: '1.00', currency: 'USD' } });
    const { payload: claims } = await jwtVerify(relays[0].auth!.replace(/^Bearer /, ''), new TextEncoder().encode(DEV_JWT_SECRET));
    expect(claims).toMatchObject({ sub: 'billing', role: 'BILLING_AGENT' });
  });
});
