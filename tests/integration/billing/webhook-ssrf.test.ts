// Issue 12, item 4: no server-side request forgery through bill webhooks. Billing refuses
// loopback, private, link-local and unspecified targets when they are registered (after DNS
// resolution) and again when it connects (a name re-pointed at an internal address), never
// follows a redirect, and shows the party only a generic error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { isPublicAddress } from '../../../billing-subgraph/src/domain';
import { guardedLookup } from '../../../billing-subgraph/src/services/parties';
import { gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, recordSelection, type Billing } from './fixtures';
import { until } from '../../support/wait';

const REGISTER = `mutation($i: BillingWebhookInput!) { registerBillingWebhook(input: $i) { partyId url } }`;
const DELIVERIES = `query($id: ID!) { bill(id: $id) { deliveries { recipientId channel state attempts lastError } } }`;

async function receiver(handler?: (path: string, res: import('node:http').ServerResponse) => void) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    if (handler) handler(req.url ?? '', res);
    else res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { hits, port, stop: () => new Promise<void>((r) => server.close(() => r())) };
}


describe('webhook targets', () => {
  it('classifies addresses: loopback, private, link-local, unspecified and mapped forms are not public', () => {
    for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe', '224.0.0.1', '255.255.255.255']) {
      expect([ip, isPublicAddress(ip)]).toEqual([ip, false]);
    }
    for (const ip of ['8.8.8.8', '198.51.100.9', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect([ip, isPublicAddress(ip)]).toEqual([ip, true]);
  });

  it('checks the resolved addresses again at connect time (DNS rebinding)', async () => {
    const lookup = guardedLookup(false);
    await expect(new Promise((resolve, reject) => lookup('localhost', {}, (err, address) => (err ? reject(err) : resolve(address))))).rejects.toThrow(/non-public/);
    const open = guardedLookup(true);
    await expect(new Promise((resolve, reject) => open('localhost', {}, (err, address) => (err ? reject(err) : resolve(address))))).resolves.toMatch(/127\.0\.0\.1|::1/);
  });
});

describe('bill webhooks against server-side request forgery', () => {
  let b: Billing;
  let open: Billing;
  let local: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    local = await receiver();
    b = await startBilling({ WORKER_INTERVAL_MS: '50', DELIVERY_BACKOFF_BASE_MS: '60000' });
  });
  afterAll(async () => {
    for (const app of [b, open]) {
      await app?.conn.dropDatabase().catch(() => undefined);
      await app?.stop();
    }
    await local?.stop();
  });

  it('refuses loopback, metadata, IPv6 loopback, numeric, localhost, credential and resolved-to-local URLs, naming input.url', async () => {
    const buyer = await token('BUYER', 'ssrf-buyer');
    const p = local.port;
    const urls = [
      `http://127.0.0.1:${p}/metrics`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://2130706433:${p}/`,
      `http://localhost:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      'http://10.0.0.7/hook',
      `http://0.0.0.0:${p}/`,
      'http://user:pass@198.51.100.9/hook',
      // A name that resolves to this machine (or does not resolve at all).
      `http://${hostname()}:${p}/hook`,
    ];
    for (const url of urls) {
      const r = await gql(b.url, REGISTER, { i: { partyId: 'ssrf-buyer', url, secret: 'whsec-0123456789abcdef' } }, buyer);
      expect([url, r.errors?.[0]?.extensions]).toEqual([url, { code: 'BAD_USER_INPUT', field: 'input.url' }]);
    }
    expect(local.hits).toEqual([]);
    const ok = await gqlOk(b.url, REGISTER, { i: { partyId: 'ssrf-buyer', url: 'https://198.51.100.9/hook', secret: 'whsec-0123456789abcdef' } }, buyer);
    expect(ok.registerBillingWebhook.url).toBe('https://198.51.100.9/hook');
  });

  it('refuses at delivery a target that now points at this machine, and shows the party only a generic error', async () => {
    // As if the name had resolved to a public address when it was registered and was re-pointed since.
    await b.models.Webhook.replaceOne(
      { _id: 'rebound-buyer' },
      { _id: 'rebound-buyer', url: `http://${hostname()}:${local.port}/hook`, secret: 'whsec-0123456789abcdef', updatedAt: new Date() },
      { upsert: true },
    ).exec();
    const s = await recordSelection(b, { selectionId: 'ssrf-sel', buyerId: 'rebound-buyer', carrierId: 'ssrf-carrier' });
    const agent = await agentToken();
    const hook = await until(async () => {
      const d = (await gqlOk(b.url, DELIVERIES, { id: s.advanceBill.id }, agent)).bill.deliveries.find((x: { channel: string }) => x.channel === 'WEBHOOK');
      return d?.attempts >= 1 ? d : null;
    }, 'a webhook attempt');
    expect(hook).toMatchObject({ recipientId: 'rebound-buyer', state: 'PENDING', lastError: 'webhook delivery failed' });
    expect(local.hits).toEqual([]);
  });

  it('never follows a redirect (private targets allowed by the operator setting)', async () => {
    const target = await receiver();
    const redirecting = await receiver((_path, res) => res.writeHead(302, { location: `http://127.0.0.1:${target.port}/internal` }).end());
    try {
      open = await startBilling({ WORKER_INTERVAL_MS: '50', DELIVERY_BACKOFF_BASE_MS: '60000', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
      await gqlOk(open.url, REGISTER, { i: { partyId: 'redir-buyer', url: `http://127.0.0.1:${redirecting.port}/hook`, secret: 'whsec-0123456789abcdef' } }, await token('BUYER', 'redir-buyer'));
      const s = await recordSelection(open, { selectionId: 'redir-sel', buyerId: 'redir-buyer', carrierId: 'redir-carrier' });
      const agent = await agentToken();
      const hook = await until(async () => {
        const d = (await gqlOk(open.url, DELIVERIES, { id: s.advanceBill.id }, agent)).bill.deliveries.find((x: { channel: string }) => x.channel === 'WEBHOOK');
        return d?.attempts >= 1 ? d : null;
      }, 'a webhook attempt');
      expect(redirecting.hits).toEqual(['/hook']);
      expect(target.hits).toEqual([]);
      expect(hook).toMatchObject({ state: 'PENDING', lastError: 'webhook delivery failed' });
    } finally {
      await target.stop();
      await redirecting.stop();
    }
  });
});
