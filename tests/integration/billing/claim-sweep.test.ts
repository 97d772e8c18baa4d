// Issue 14, item 7: once-only claims written per delivery attempt and per feed poll expire and
// are swept (no TTL index on the embedded engine), so the slots collection stops growing with
// traffic; the history money depends on (tier totals, bill numbers, payments) is never swept.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { claimOnce } from '../../../billing-subgraph/src/store/slots';
import { runDeliveries } from '../../../billing-subgraph/src/services/bill-run';
import { sweepExpiredClaims, SWEEP_BATCH } from '../../../billing-subgraph/src/store/sweep';
import { gqlOk, startBilling, token } from '../../support/harness';
import { recordSelection, type Billing } from './fixtures';

const onceClaims = (b: Billing) => b.models.Slot.countDocuments({ key: { $gte: 'once|', $lt: 'once}' } });

describe('once-only claims expire and are swept', () => {
  let b: Billing;
  let hook: Server;
  let hookUrl: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', DELIVERY_BACKOFF_BASE_MS: '1' });
    hook = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((r) => hook.close(r));
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('a claim guards its key while it lives; the sweep deletes it once expired', async () => {
    const t0 = new Date('2026-10-01T00:00:00Z');
    expect(await claimOnce(b.models, 'sweep-test|a', 60_000, t0)).toBe(true);
    expect(await claimOnce(b.models, 'sweep-test|a', 60_000, t0)).toBe(false);
    expect(await sweepExpiredClaims(b.models, new Date(t0.getTime() + 59_999))).toBe(0);
    expect(await claimOnce(b.models, 'sweep-test|a', 60_000, t0)).toBe(false);
    expect(await sweepExpiredClaims(b.models, new Date(t0.getTime() + 60_001))).toBe(1);
    expect(await b.models.Slot.countDocuments({ _id: 'once|sweep-test|a' })).toBe(0);
  });

  it('keeps the number of claims bounded while a worker claims every lease window for hours', async () => {
    // History that must survive any sweep: a payment slot and a bill-number slot (no expiry).
    await b.models.Slot.create({ _id: 'pay|sweep-bill|1', key: 'pay|sweep-bill', seq: 1, value: '1.00', createdAt: new Date('2020-01-01T00:00:00Z') });
    await b.models.Slot.create({ _id: 'billno|2020-01|1', key: 'billno|2020-01', seq: 1, value: 'B-1', createdAt: new Date('2020-01-01T00:00:00Z') });
    const window = 30_000;
    const ttl = 4 * window;
    const start = new Date('2026-10-02T00:00:00Z').getTime();
    let peak = 0;
    let written = 0;
    // 2 hours of 30-s windows, 5 deliveries retried in each, swept every window.
    for (let w = 0; w < 240; w++) {
      const now = new Date(start + w * window);
      for (let d = 0; d < 5; d++) if (await claimOnce(b.models, `delivery|sweep-d${d}|${w}|${w}`, ttl, now)) written++;
      await sweepExpiredClaims(b.models, now);
      peak = Math.max(peak, await onceClaims(b));
    }
    expect(written).toBe(1200);
    // At most the claims of the last ttl/window + 1 windows are alive at any time.
    expect(peak).toBeLessThanOrEqual(5 * (ttl / window + 1));
    expect(await sweepExpiredClaims(b.models, new Date(start + 240 * window + ttl))).toBeGreaterThan(0);
    expect(await onceClaims(b)).toBe(0);
    expect(await b.models.Slot.countDocuments({ _id: { $in: ['pay|sweep-bill|1', 'billno|2020-01|1'] } })).toBe(2);
  });

  it('sweeps a backlog larger than one batch in one pass', async () => {
    const old = new Date('2026-09-01T00:00:00Z');
    const docs = Array.from({ length: SWEEP_BATCH * 2 + 7 }, (_, i) => ({ _id: `once|backlog|${i}`, key: `once|backlog|${i}`, seq: 0, value: '', createdAt: old, expiresAt: old }));
    await b.models.Slot.collection.insertMany(docs as any[]);
    expect(await sweepExpiredClaims(b.models, new Date('2026-09-02T00:00:00Z'))).toBe(docs.length);
    expect(await onceClaims(b)).toBe(0);
  });

  it('the delivery worker writes its claims with an expiry, and they are swept after it', async () => {
    const buyer = 'sweep-buyer';
    await gqlOk(b.url, `mutation($i: BillingWebhookInput!) { registerBillingWebhook(input: $i) { partyId } }`, { i: { partyId: buyer, url: hookUrl, secret: 'a-secret-of-at-least-16-chars' } }, await token('BUYER', buyer));
    const before = Date.now();
    await recordSelection(b, { selectionId: 'sweep-sel', buyerId: buyer, carrierId: 'sweep-carrier', quantity: '10', incentive: { currency: 'USD', ratePerUnit: '1' } });
    expect(await runDeliveries(b.deps)).toBeGreaterThan(0); // the buyer's webhook (it fails: retried later)
    const claims = await b.models.Slot.find({ key: { $gte: 'once|delivery|', $lt: 'once|delivery}' } }).lean().exec();
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims) {
      expect(c.expiresAt).toBeInstanceOf(Date);
      expect(c.expiresAt!.getTime()).toBeGreaterThanOrEqual(c.createdAt.getTime() + 120_000);
      expect(c.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(c.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 120_000);
    }
    expect(await sweepExpiredClaims(b.models, new Date(Date.now() + 121_000))).toBe(claims.length);
    expect(await b.models.Slot.countDocuments({ key: { $gte: 'once|delivery|', $lt: 'once|delivery}' } })).toBe(0);
  });
});
