// The demo market (issue 19, item 7) against a real stack: seeded demo parties, the route server on
// an ephemeral port behind the gateway, billing. The simulator is a client of the gateway only; its
// clock runs 15 s per step ahead of the wall clock, so ten minutes of market take a few dozen steps.
import path from 'node:path';
import pino from 'pino';
import { DemoMarket } from '../../../demo-market/src/market';
import { GatewayClient, TokenSource } from '../../../demo-market/src/client';
import { seededRng } from '../../../demo-market/src/domain/rng';
import { startDemoMarket } from '../../../demo-market/src/run';
import { gqlOk, startBilling, startGateway, startModerator, token } from '../../support/harness';
import { run } from '../../support/processes';
import { until } from '../../support/wait';

const STEP_MS = 15_000;
// 4 requests in the first minute, each in service for 1-2 minutes; calls end within 312 s of their
// lookup; 60 s bill periods are billed 342 s after they end: everything is done by ~600 s.
const STEPS = 44;
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A logger whose lines the test reads. */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}


describe('the demo market', () => {
  let billing: Awaited<ReturnType<typeof startBilling>>;
  let moderator: Awaited<ReturnType<typeof startModerator>>;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let admin: string;

  beforeAll(async () => {
    billing = await startBilling();
    moderator = await startModerator({ BILLING_URL: billing.url, SEED_DEMO_DATA: 'true', OUTBOX_INTERVAL_MS: '50', ROUTE_ATTEMPTS_FLUSH_MS: '100' });
    gateway = await startGateway({ moderator: moderator.url, billing: billing.url }, { ROUTE_SERVER_URL: moderator.routeServer.url });
    admin = await token('ADMIN', 'admin');
  });

  afterAll(async () => {
    await gateway?.stop();
    await moderator?.conn.dropDatabase().catch(() => undefined);
    await billing?.conn.dropDatabase().catch(() => undefined);
    await moderator?.stop();
    await billing?.stop();
  });

  it('refuses to run in production, posting nothing', async () => {
    const { logger, lines } = capturingLogger();
    const r = await startDemoMarket({ NODE_ENV: 'production', DEMO_MARKET: 'true', SEED_DEMO_DATA: 'true', GATEWAY_URL: gateway.url }, logger);
    expect(r).toBeNull();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[50, expect.stringMatching(/refused in production/)]]);
    expect((await gqlOk(gateway.url, '{ serviceRequests(first: 10) { id } }', {}, admin)).serviceRequests).toEqual([]);

    // The process as `npm start` would start it: exits 2 with the reason.
    const proc = run(process.execPath, [path.join(ROOT, 'demo-market', 'dist', 'main.js')], { ...process.env, NODE_ENV: 'production', DEMO_MARKET: 'true', GATEWAY_URL: gateway.url });
    expect((await proc.exited).code).toBe(2);
    expect(proc.output().stdout + proc.output().stderr).toContain('refused in production');
    expect((await gqlOk(gateway.url, '{ serviceRequests(first: 10) { id } }', {}, admin)).serviceRequests).toEqual([]);
  });

  it('posts, bids, awards, routes calls through the route server, reports CDRs and bills them', async () => {
    let virtual = Date.now();
    const { logger } = capturingLogger();
    const market = new DemoMarket({
      client: new GatewayClient(gateway.url, new TokenSource({})),
      logger,
      rng: seededRng(19),
      runId: 'it',
      clock: () => new Date(virtual),
      timing: { requestEveryMs: STEP_MS, biddingWindowMs: 5_000, leadMs: 10_000, serviceMinMs: 60_000, serviceMaxMs: 120_000 },
      tickMs: STEP_MS,
      maxRequests: 4,
      callsPerMinute: 24,
      billPeriodMs: 60_000,
      settleDelayMs: 0,
    });
    await market.setup();
    // Set-up is idempotent: a restart keeps one demo trunk per carrier and one live demo key per buyer.
    await market.setup();
    const trunks = (await gqlOk(gateway.url, '{ carrierTrunks { name } }', {}, await token('CARRIER', 'carrier-cygnus'))).carrierTrunks;
    expect(trunks).toEqual([{ name: 'demo-trunk' }]);
    const keys = (await gqlOk(gateway.url, '{ switchKeys { name revokedAt } }', {}, await token('BUYER', 'buyer-acme'))).switchKeys;
    expect(keys.filter((k: { revokedAt: string | null }) => !k.revokedAt)).toEqual([{ name: 'demo-switch', revokedAt: null }]);

    const start = virtual;
    for (let i = 0; i < STEPS; i++) {
      await market.step();
      virtual = Math.max(virtual + STEP_MS, Date.now());
    }
    const c = market.counts;
    expect(c.errors).toBe(0);
    expect(c.requests).toBe(4);
    expect(c.bids).toBeGreaterThan(0);
    expect(c.awarded).toBeGreaterThan(0);
    expect(c.awarded + c.noAward).toBe(4);
    expect(c.routed).toBeGreaterThan(0);
    expect(c.answered).toBeGreaterThan(0);
    expect(c.answered).toBeLessThan(c.routed);
    expect(c.meterRecords).toBe(c.answered);
    expect(c.carrierRecords).toBeGreaterThan(0);
    // Every CDR matched its selection: nothing refused or parked.
    expect(c.notBilled).toBe(0);
    expect(market.pendingCalls).toBe(0);
    expect(market.unbilledPeriods).toBe(0);
    expect(c.billRuns).toBeGreaterThan(0);

    // What the portal shows, through the gateway.
    const { serviceRequests } = await gqlOk(
      gateway.url,
      `{ serviceRequests(first: 10) { id status buyer { id } bids { id } selection { id carrier { id } } } }`,
      {},
      admin,
    );
    expect(serviceRequests).toHaveLength(4);
    const awarded = serviceRequests.filter((r: any) => r.status === 'AWARDED');
    expect(awarded.length).toBe(c.awarded);
    expect(serviceRequests.reduce((n: number, r: any) => n + r.bids.length, 0)).toBe(c.bids + c.rebids);

    let attempts = 0;
    for (const r of awarded) {
      const slots = (await gqlOk(gateway.url, 'query($id: ID!) { routeAttempts(selectionId: $id) { slotStart attempts } }', { id: r.selection.id }, admin)).routeAttempts;
      attempts += slots.reduce((n: number, s: { attempts: number }) => n + s.attempts, 0);
    }
    expect(attempts).toBe(c.routed);

    const period = { start: new Date(start - 3_600_000).toISOString(), end: new Date(virtual + 3_600_000).toISOString() };
    let answered = 0;
    let billedRecords = 0;
    const sources = new Set<string>();
    for (const r of awarded) {
      const buyer = await token('BUYER', r.buyer.id);
      const records = (await gqlOk(gateway.url, 'query($id: ID!) { billingRecords(requestId: $id, first: 1000) { nodes { id } } }', { id: r.id }, buyer)).billingRecords.nodes;
      billedRecords += records.length;
      const bills = (await gqlOk(gateway.url, 'query($f: BillFilter) { bills(filter: $f) { nodes { kind status } } }', { f: { requestId: r.id } }, buyer)).bills.nodes;
      expect(bills.map((b: { kind: string }) => b.kind)).toContain('ADVANCE');
      if (records.length > 0) expect(bills.map((b: { kind: string }) => b.kind)).toContain('PERIODIC');
    }
    // Attempts reach billing asynchronously (the moderator pushes its counts).
    const pairs = new Map<string, { buyerId: string; carrierId: string }>();
    for (const r of awarded) pairs.set(`${r.buyer.id}|${r.selection.carrier.id}`, { buyerId: r.buyer.id, carrierId: r.selection.carrier.id });
    const REC = `query($b: ID!, $c: ID!, $p: IntervalInput!) { reconciliation(buyerId: $b, carrierId: $c, period: $p) { attempts answered asr sources { source calls } } }`;
    await until(async () => {
      let n = 0;
      for (const p of pairs.values()) n += (await gqlOk(gateway.url, REC, { b: p.buyerId, c: p.carrierId, p: period }, admin)).reconciliation.attempts;
      return n === c.routed;
    }, 'billing has every routing attempt');
    for (const p of pairs.values()) {
      const rec = (await gqlOk(gateway.url, REC, { b: p.buyerId, c: p.carrierId, p: period }, admin)).reconciliation;
      answered += rec.answered;
      for (const s of rec.sources) if (s.calls > 0) sources.add(s.source);
      if (rec.attempts > 0) expect(Number(rec.asr)).toBeCloseTo(rec.answered / rec.attempts, 3);
    }
    expect(answered).toBe(c.answered);
    expect(billedRecords).toBe(c.answered);
    expect([...sources].sort()).toEqual(['CARRIER', 'MEASURING_EQUIPMENT']);
  }, 180_000);
});
