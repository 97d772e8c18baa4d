// The web portal end to end: the gateway serves portal/dist at /portal, and headless Chromium
// (Debian's `chromium`, driven by playwright-core) signs in a buyer and a carrier in two
// browser contexts that complete an auction together through the public API only.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { gql, gqlOk, startGateway, startStack, token } from '../../support/harness';
import { until } from '../../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIST = path.join(ROOT, 'portal', 'dist', 'index.html');
const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts', 'portal');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT = 20_000;

const REGISTER_BUYER = `mutation($input: RegisterBuyerInput!) { registerBuyer(input: $input) { id } }`;
const REGISTER_CARRIER = `mutation($input: RegisterCarrierInput!) { registerCarrier(input: $input) { id } }`;
const SUBMIT_BID = `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id status } }`;

describe('portal in a real browser', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` (it builds the portal) before the tests`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ moderator: { OUTBOX_INTERVAL_MS: '50', SCHEDULER_ENABLED: 'false' } });
    base = new URL(stack.gateway.url).origin;
    const admin = await token('ADMIN', 'portal-test-admin');
    const url = stack.gateway.url;
    await gqlOk(url, REGISTER_BUYER, { input: { id: 'buyer-portal', name: 'Portal Buyer Ltd' } }, admin);
    await gqlOk(url, REGISTER_CARRIER, { input: { id: 'carrier-aurora', name: 'Aurora Carrier', coverage: ['44'] } }, admin);
    await gqlOk(url, REGISTER_CARRIER, { input: { id: 'carrier-boreas', name: 'Boreas Carrier', coverage: ['4420'] } }, admin);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await stack?.stop();
  }, 60_000);

  /** A fresh browser profile whose console errors, page errors and CSP violations fail the test. */
  async function newPage(name: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const ctx = await browser.newContext({ viewport, acceptDownloads: true });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${name} console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`));
    return page;
  }

  const text = (page: Page, testId: string) => page.getByTestId(testId).first().innerText();
  /** Waits (bounded) until the element's text satisfies `ok`. */
  async function waitForText(page: Page, testId: string, ok: (t: string) => boolean, what: string): Promise<string> {
    let last = '';
    const found = await until(async () => {
      last = ((await page.getByTestId(testId).first().textContent({ timeout: 1000 }).catch(() => null)) ?? '').trim();
      return ok(last) && { text: last };
    }, { message: () => `${what} ([data-testid=${testId}] still reads "${last}")`, timeout: WAIT, interval: 100 });
    return found.text;
  }
  /** Subscriptions the gateway has opened towards a subgraph (its own gauge). */
  async function upstream(subgraph: string): Promise<number> {
    const g = await stack.gateway.metrics.upstreamSubscriptions.get();
    return g.values.find((v) => v.labels.subgraph === subgraph)?.value ?? 0;
  }
  /** Bounded wait for a page's subscriptions to reach the subgraph before the event that should arrive live. */
  async function untilUpstream(subgraph: string, ok: (n: number) => boolean, what: string): Promise<void> {
    let n = 0;
    await until(async () => ok((n = await upstream(subgraph))), { message: () => `${what} (${subgraph} has ${n} upstream subscriptions)`, timeout: WAIT });
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('is served with a strict content policy; demo sign-in exists only on the development secret', async () => {
    const page = await fetch(`${base}/portal/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const bare = await fetch(`${base}/portal`, { redirect: 'manual' });
    expect([301, 302, 308]).toContain(bare.status);

    const minted = await fetch(`${base}/portal/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'BUYER', sub: 'buyer-portal' }) });
    expect(minted.status).toBe(200);
    const { token: demo } = (await minted.json()) as { token: string };
    const me = await gql(stack.gateway.url, `{ buyer(id: "buyer-portal") { name } }`, {}, demo);
    expect(me.data).toEqual({ buyer: { name: 'Portal Buyer Ltd' } });
    const moderator = await fetch(`${base}/portal/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'MODERATOR', sub: 'x' }) });
    expect(moderator.status).toBe(400);

    // With a deployment's own secret (or NODE_ENV=production) there is nothing to mint with.
    // (Production needs keys of its own to start at all: issue 12.)
    for (const env of [{ JWT_SECRET: 'a-deployment-secret-of-its-own' }, { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-its-own-0123456789' }]) {
      const gw = await startGateway({ moderator: stack.moderator.url, billing: stack.billing.url }, env);
      try {
        const origin = new URL(gw.url).origin;
        const r = await fetch(`${origin}/portal/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'ADMIN', sub: 'admin' }) });
        expect(r.status).toBe(404);
        expect((await fetch(`${origin}/portal/`)).status).toBe(200);
      } finally {
        await gw.stop();
      }
    }
  }, 60_000);

  it('buyer and carrier complete an auction live, then see the same posted bill', async () => {
    const gw = stack.gateway.url;

    // Carrier: signs in by pasting a token, and waits on its open requests.
    const carrier = await newPage('carrier');
    await carrier.goto(`${base}/portal/`);
    await carrier.getByLabel('Bearer token').fill(await token('CARRIER', 'carrier-aurora'));
    await carrier.getByRole('button', { name: 'Sign in', exact: true }).click();
    await carrier.getByRole('heading', { name: 'Open requests' }).waitFor();
    expect(await text(carrier, 'signed-in-as')).toContain('Aurora Carrier');
    await untilUpstream('moderator', (n) => n === 1, "the carrier's requestDistributed subscription");

    // Buyer: picks its party from the demo list (development secret only).
    const buyer = await newPage('buyer');
    await buyer.goto(`${base}/portal/`);
    await buyer.locator('button[data-party="buyer-portal"]').waitFor();
    await shot(buyer, '00-sign-in');
    await buyer.locator('button[data-party="buyer-portal"]').click();
    await buyer.getByRole('heading', { name: 'Service requests' }).waitFor();
    await buyer.getByRole('link', { name: 'New service request' }).click();
    await buyer.getByLabel('Route 1 destination').fill('4420');
    await buyer.getByLabel('Quantity', { exact: true }).fill('0');
    await buyer.getByRole('button', { name: 'Submit request' }).click();
    // The API's validation message appears at the field it names, and the field is marked invalid.
    const quantityError = buyer.locator('[data-field-error="input.quantity"]');
    await quantityError.waitFor();
    expect(await quantityError.innerText()).toMatch(/quantity/i);
    expect(await buyer.getByLabel('Quantity', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await shot(buyer, '01-buyer-validation');
    await buyer.getByLabel('Quantity', { exact: true }).fill('1000');
    await buyer.getByRole('button', { name: 'Submit request' }).click();
    await buyer.waitForURL(/#\/requests\/(?!new$)[^/]+$/);
    const requestId = decodeURIComponent(new URL(buyer.url()).hash.split('/').pop()!);
    await buyer.getByRole('heading', { name: 'Live bid board' }).waitFor();

    // The request arrives on the carrier's page live (requestDistributed), without a reload.
    const row = carrier.locator(`tr[data-request-id="${requestId}"]`);
    await row.waitFor();
    await row.getByRole('link', { name: requestId }).click();
    await carrier.getByRole('heading', { name: 'Submit a bid' }).waitFor();
    await carrier.getByLabel('Rate per minute').fill('0.0100');
    await carrier.getByLabel('Currency').fill('USD');
    await carrier.getByRole('button', { name: 'Submit bid' }).click();
    await waitForText(carrier, 'viewer-rank', (t) => t === '1', 'carrier rank after its first bid');
    await waitForText(buyer, 'bid-count', (t) => t === '1', 'buyer board after the first bid');

    // A second carrier undercuts through the API: the first carrier's rank drops live.
    await untilUpstream('moderator', (n) => n === 2, 'the bidUpdates subscriptions of both pages');
    await gqlOk(gw, SUBMIT_BID, { input: { requestId, incentive: { currency: 'USD', ratePerUnit: '0.0090' } } }, await token('CARRIER', 'carrier-boreas'));
    await waitForText(carrier, 'viewer-rank', (t) => t === '2', 'carrier rank after being undercut');
    await waitForText(buyer, 'bid-count', (t) => t === '2', 'buyer board after the second bid');
    await shot(carrier, '02-carrier-undercut');

    // The carrier improves its bid and is back on top.
    await carrier.getByLabel('Rate per minute').fill('0.0080');
    await carrier.getByRole('button', { name: 'Submit improved bid' }).click();
    await waitForText(carrier, 'viewer-rank', (t) => t === '1', 'carrier rank after improving');
    await waitForText(buyer, 'best-rate', (t) => t.startsWith('0.008'), 'buyer best rate after the improvement');
    const firstRow = buyer.locator('[data-testid="bid-board"] tbody tr').first();
    expect(await firstRow.innerText()).toContain('Aurora Carrier');
    // The best-rate chart drew one point per change: 0.0100, 0.0090, 0.0080.
    expect(await buyer.locator('[data-chart="best-rate"] circle.point').count()).toBe(3);
    await shot(buyer, '03-buyer-live-board');

    // The buyer closes bidding; the carrier is selected and the advance bill is posted.
    await buyer.getByRole('button', { name: 'Close bidding now' }).click();
    await buyer.getByRole('button', { name: 'Yes, close bidding' }).click();
    await waitForText(buyer, 'selected-carrier', (t) => t === 'Aurora Carrier', 'selected carrier');
    const billLink = buyer.locator('[data-testid="bills"] tbody tr a').first();
    await billLink.waitFor(); // arrives through the billIssued subscription
    await billLink.click();
    const buyerBillNumber = await waitForText(buyer, 'bill-number', (t) => /^B-\d{4}-\d{2}-\d+$/.test(t), 'bill number on the buyer page');
    const buyerTotal = await text(buyer, 'bill-total');
    // 1000 minutes at the winning 0.0080 USD, billed in advance.
    expect(buyerTotal).toBe('8.00 USD');
    // The bill names its buyer by name, not by id.
    expect(await text(buyer, 'bill-buyer')).toBe('Portal Buyer Ltd');
    await shot(buyer, '04-buyer-bill');

    // The carrier learns it won, finds the same bill under Bills, with the same total.
    await carrier.getByTestId('outcome').waitFor();
    expect(await text(carrier, 'outcome')).toContain('You won');
    await carrier.getByRole('link', { name: 'Bills', exact: true }).click();
    const carrierRow = carrier.locator(`tr[data-bill-number="${buyerBillNumber}"]`);
    await carrierRow.waitFor();
    await carrierRow.getByRole('link', { name: buyerBillNumber }).click();
    await waitForText(carrier, 'bill-number', (t) => t === buyerBillNumber, 'bill number on the carrier page');
    expect(await text(carrier, 'bill-total')).toBe(buyerTotal);
    // The carrier is the buyer's counterparty on this bill: it reads the buyer's name too.
    expect(await text(carrier, 'bill-buyer')).toBe('Portal Buyer Ltd');
    await shot(carrier, '05-carrier-bill');

    // The posted bill's PDF and CSV links work for anyone holding them (signed, expiring).
    const pdf = await fetch((await buyer.getByTestId('bill-pdf').getAttribute('href'))!);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const csv = await fetch((await carrier.getByTestId('bill-csv').getAttribute('href'))!);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain(buyerBillNumber);

    // The buyer pays part of it; the carrier's receivables show the rest.
    await buyer.getByLabel('Amount (USD)').fill('3.00');
    await buyer.getByRole('button', { name: 'Record payment' }).click();
    await waitForText(buyer, 'bill-outstanding', (t) => t === '5.00 USD', 'outstanding after the payment');
    await carrier.getByRole('link', { name: 'Receivables & settlement' }).click();
    await waitForText(carrier, 'receivables', (t) => t === '5.00 USD', 'carrier receivables');
    await shot(carrier, '06-carrier-settlement');

    // Narrow screen: the bid board page still works without sideways scrolling of the page.
    const phone = await newPage('phone', { width: 390, height: 844 });
    await phone.goto(`${base}/portal/`);
    await phone.locator('button[data-party="buyer-portal"]').click();
    await phone.getByRole('heading', { name: 'Service requests' }).waitFor();
    await phone.goto(`${base}/portal/#/requests/${encodeURIComponent(requestId)}`);
    await waitForText(phone, 'selected-carrier', (t) => t === 'Aurora Carrier', 'selection on a phone');
    // Loaded after the close, the best-rate chart is rebuilt from the bid history: the same three steps.
    const history = await phone
      .locator('[data-chart="best-rate"] tbody tr')
      .evaluateAll((trs) => trs.map((tr: any) => Number(tr.cells[1].textContent)));
    expect(history).toEqual([0.01, 0.009, 0.008]);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(phone, '07-phone-request');

    expect(problems).toEqual([]);
  }, 180_000);

  it('billing agent: ingestion outcome with reasons, unassociated usage, a bill run and usage per day', async () => {
    // Last month's selection, recorded as the Moderator records every award (public API, MODERATOR credential).
    const now = new Date();
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const day = (d: number, h = 10) => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), d, h)).toISOString();
    await gqlOk(
      stack.gateway.url,
      `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`,
      {
        input: {
          selectionId: 'sel-portal-usage',
          requestId: 'req-portal-usage',
          buyerId: 'buyer-portal',
          buyerIsReseller: false,
          carrierId: 'carrier-aurora',
          routes: [{ origin: '1', destination: '4420' }],
          serviceType: 'VOICE',
          interval: { start: month.toISOString(), end: nextMonth.toISOString() },
          quantity: '100',
          unit: 'MINUTE',
          incentive: { currency: 'USD', ratePerUnit: '0.01' },
          selectedAt: new Date(month.getTime() - 86400e3).toISOString(),
        },
      },
      await token('MODERATOR', 'moderator'),
    );

    const agent = await newPage('agent');
    await agent.goto(`${base}/portal/`);
    await agent.locator('button[data-party="billing-agent-demo"]').click();
    await agent.getByRole('heading', { name: 'Usage ingestion' }).waitFor();
    const record = (recordId: string, requestId: string, start: string, seconds: string) => ({
      recordId,
      source: 'MODERATOR',
      buyerId: 'buyer-portal',
      carrierId: 'carrier-aurora',
      requestId,
      intervalStart: start,
      // A call lasts as long as its interval (issue 12: longer VOICE quantities are refused).
      intervalEnd: new Date(new Date(start).getTime() + Math.max(Number(seconds) || 60, 60) * 1000).toISOString(),
      serviceType: 'VOICE',
      quantity: seconds,
    });
    const batch = JSON.stringify([
      record('portal-cdr-1', 'req-portal-usage', day(3), '600'),
      record('portal-cdr-2', 'req-portal-usage', day(4), '1200'),
      record('portal-cdr-3', 'req-portal-usage', day(4, 15), '600'),
      record('portal-cdr-4', 'req-portal-usage', day(6), '300'),
      record('portal-cdr-5', 'no-such-request', day(6), '60'),
      record('portal-cdr-6', 'req-portal-usage', day(6), 'lots'),
    ]);
    await agent.getByLabel(/Usage records/).fill(batch);
    await agent.getByRole('button', { name: 'Ingest', exact: true }).click();
    await waitForText(agent, 'ingest-result', (t) => t.startsWith('5 accepted, 0 duplicates, 1 rejected'), 'first batch');
    expect(await text(agent, 'ingest-result')).toMatch(/portal-cdr-6.*quantity/);
    await agent.getByRole('button', { name: 'Ingest', exact: true }).click();
    await waitForText(agent, 'ingest-result', (t) => t.startsWith('0 accepted, 5 duplicates, 1 rejected'), 'the same batch again');
    await shot(agent, '08-agent-ingestion');

    await agent.getByRole('link', { name: 'Unassociated usage' }).click();
    const unassociated = agent.locator('[data-testid="unassociated"] tbody tr', { hasText: 'portal-cdr-5' });
    await unassociated.waitFor();
    expect(await unassociated.innerText()).toMatch(/unknown request/i);
    expect(await agent.locator('[data-testid="unassociated"] tbody tr').count()).toBe(1);

    await agent.getByRole('link', { name: 'Bill runs' }).click();
    await agent.getByLabel('Billing month').fill(month.toISOString().slice(0, 7));
    await agent.getByRole('button', { name: 'Run billing' }).click();
    await waitForText(agent, 'bill-run-result', (t) => t.startsWith('1 new bill issued; 1 bill in the period'), 'bill run');
    await shot(agent, '09-agent-bill-run');

    // The periodic bill: its usage per day, 10, 30 and 5 minutes on three days (and none on the 5th).
    await agent.locator('[data-testid="bills"] tbody tr a').first().click();
    await agent.locator('[data-chart="usage-per-day"]').waitFor();
    expect(await agent.locator('[data-chart="usage-per-day"] rect.bar').count()).toBe(4);
    // The chart's data table (inside a closed <details>, so read as text, not as rendered).
    const rows = await agent
      .locator('[data-chart="usage-per-day"] tbody tr')
      .evaluateAll((trs) => trs.map((tr: any) => Array.from(tr.cells as ArrayLike<{ textContent: string | null }>, (c) => c.textContent).slice(0, 2)));
    expect(rows).toEqual([
      [day(3).slice(0, 10), '10'],
      [day(4).slice(0, 10), '30'],
      [day(5).slice(0, 10), '0'],
      [day(6).slice(0, 10), '5'],
    ]);
    await shot(agent, '10-agent-periodic-bill');
    expect(problems).toEqual([]);
  }, 120_000);
  it('buyer reads the reconciliation beside its periodic bill, disputes it, and finds the accepted correction on an adjustment bill', async () => {
    // Two months back, so the bill run above (last month) is untouched.
    const now = new Date();
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1));
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const at = (d: number, shiftSeconds = 0) => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), d, 10) + shiftSeconds * 1000);
    const gw = stack.gateway.url;
    const agent = await token('BILLING_AGENT', 'portal-recon-agent');
    await gqlOk(
      gw,
      `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`,
      {
        input: {
          selectionId: 'sel-portal-recon',
          requestId: 'req-portal-recon',
          buyerId: 'buyer-portal',
          buyerIsReseller: false,
          carrierId: 'carrier-aurora',
          routes: [{ origin: '1', destination: '4420' }],
          serviceType: 'VOICE',
          interval: { start: month.toISOString(), end: nextMonth.toISOString() },
          quantity: '10',
          unit: 'MINUTE',
          incentive: { currency: 'USD', ratePerUnit: '0.01' },
          selectedAt: new Date(month.getTime() - 86400e3).toISOString(),
        },
      },
      await token('MODERATOR', 'moderator'),
    );
    const call = (source: string, n: number, start: Date, seconds: number) => ({
      recordId: `recon-${source.toLowerCase()}-${n}`,
      source,
      buyerId: 'buyer-portal',
      carrierId: 'carrier-aurora',
      requestId: 'req-portal-recon',
      intervalStart: start.toISOString(),
      intervalEnd: new Date(start.getTime() + seconds * 1000).toISOString(),
      serviceType: 'VOICE',
      quantity: String(seconds),
      destination: `+44207946000${n}`,
    });
    const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { recordId reason } } }`;
    // The Moderator and the carrier report the same three calls (answer times and durations
    // jittered within the tolerances); the carrier reports a fourth, 2-minute call of its own.
    const moderator = [call('MODERATOR', 1, at(3), 600), call('MODERATOR', 2, at(4), 1200), call('MODERATOR', 3, at(5), 300)];
    const carrierSide = [call('CARRIER', 1, at(3, 4), 602), call('CARRIER', 2, at(4, 2), 1200), call('CARRIER', 3, at(5, -3), 300), call('CARRIER', 4, at(6), 120)];
    expect((await gqlOk(gw, INGEST, { records: moderator }, agent)).ingestUsage).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect((await gqlOk(gw, INGEST, { records: carrierSide }, agent)).ingestUsage).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
    // The route server's attempts for the selection: 8 in two slots (4 answered calls: ASR 50 %).
    const slots = [{ selectionId: 'sel-portal-recon', slotStart: at(3).toISOString(), attempts: 5 }, { selectionId: 'sel-portal-recon', slotStart: at(6).toISOString(), attempts: 3 }];
    expect((await gqlOk(gw, `mutation($s: [RouteAttemptSlotInput!]!) { recordRouteAttempts(slots: $s) }`, { s: slots }, await token('MODERATOR', 'moderator'))).recordRouteAttempts).toBe(2);
    const run = await gqlOk(gw, `mutation($p: IntervalInput!) { generateBills(period: $p) { bills { id number kind request { id } } } }`, { p: { start: month.toISOString(), end: nextMonth.toISOString() } }, agent);
    const periodic = run.generateBills.bills.find((b: any) => b.kind === 'PERIODIC' && b.request?.id === 'req-portal-recon');
    expect(periodic).toBeDefined();

    const buyer = await newPage('recon-buyer');
    await buyer.goto(`${base}/portal/`);
    await buyer.locator('button[data-party="buyer-portal"]').click();
    await buyer.getByRole('heading', { name: 'Service requests' }).waitFor();
    await buyer.goto(`${base}/portal/#/bills/${encodeURIComponent(periodic.id)}`);
    await waitForText(buyer, 'bill-number', (t) => t === periodic.number, 'the periodic bill');
    await buyer.getByTestId('reconciliation').waitFor();
    const cells = (sel: string) => buyer.locator(sel).evaluateAll((trs) => trs.map((tr: any) => Array.from(tr.cells as ArrayLike<{ textContent: string | null }>, (c) => (c.textContent ?? '').trim())));
    // Per source, most trusted first: calls, minutes (exact), amount at the incentive.
    const sources = await cells('[data-testid="reconciliation-sources"] tbody tr');
    expect(sources.map((r) => r.slice(0, 3))).toEqual([
      ['moderator', '3', '35.000000'],
      ['carrier', '4', '37.033333'],
    ]);
    // Three calls matched, one only the carrier's, no duration beyond the tolerance, 122 s more on the carrier's side.
    const comparisons = await cells('[data-testid="reconciliation-comparisons"] tbody tr');
    expect(comparisons.map((r) => r.slice(0, 6))).toEqual([['moderator / carrier', '3', '0', '1', '0', '122']]);
    expect(await text(buyer, 'reconciliation')).toMatch(/^4 calls\./);
    // Routing attempts, answered calls, ASR and ACD ((600 + 1200 + 300 + 120) s / 4 calls).
    expect([await text(buyer, 'reconciliation-attempts'), await text(buyer, 'reconciliation-answered'), await text(buyer, 'reconciliation-asr'), await text(buyer, 'reconciliation-acd')]).toEqual(['8', '4', '50.00 %', '555.0 s']);
    // Priced per started minute at 0.01 (the default increment): the carrier's 602 s call is 11 minutes.
    expect([sources[0][3], sources[1][3], comparisons[0][6]]).toEqual(['0.350000', '0.380000', '0.030000']);
    // The CSV download holds the same figures.
    const csvHref = (await buyer.getByTestId('reconciliation-csv').getAttribute('href'))!;
    expect(csvHref.startsWith('data:text/csv;charset=utf-8,')).toBe(true);
    const csv = decodeURIComponent(csvHref.slice('data:text/csv;charset=utf-8,'.length)).trim().split('\n');
    expect(csv[1]).toMatch(/^buyer-portal,carrier-aurora,req-portal-recon,.*,USD,4,8,4,0\.5000,555\.0$/);
    expect(csv).toContain(`MODERATOR,3,2100,35.000000,${sources[0][3]}`);
    expect(csv).toContain(`CARRIER,4,2222,37.033333,${sources[1][3]}`);
    expect(csv).toContain(`MODERATOR,CARRIER,3,0,1,0,122,${comparisons[0][6]}`);
    await shot(buyer, '11-buyer-reconciliation');

    // The buyer disputes the carrier-only call: 2 minutes at 0.01.
    expect(await buyer.getByText('No disputes on this bill.').count()).toBe(1);
    await buyer.getByLabel('Reason', { exact: true }).fill('the 2-minute call on the 6th is only in the carrier’s records');
    // A correction of nothing is refused by the API, at the field it names; nothing is opened.
    await buyer.getByLabel('Correction (USD)').fill('0');
    await buyer.getByRole('button', { name: 'Open dispute' }).click();
    await buyer.locator('[data-field-error="input.amount"]').waitFor();
    expect(await buyer.getByLabel('Correction (USD)').getAttribute('aria-invalid')).toBe('true');
    expect(await buyer.locator('[data-testid="disputes"]').count()).toBe(0);
    await buyer.getByLabel('Correction (USD)').fill('-0.02');
    await buyer.getByRole('button', { name: 'Open dispute' }).click();
    const row = buyer.locator('[data-testid="disputes"] tbody tr');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.getAttribute('data-dispute-status')).toBe('OPEN');
    expect(await text(buyer, 'dispute-amount')).toBe('-0.02');
    expect(await row.innerText()).toContain('only in the carrier’s records');
    expect(await text(buyer, 'bill-disputed')).toBe('-0.02 USD');
    const disputeId = (await row.getAttribute('data-dispute-id'))!;
    await shot(buyer, '12-buyer-dispute-open');

    // The carrier sees it on the same bill.
    const carrier = await newPage('recon-carrier');
    await carrier.goto(`${base}/portal/`);
    await carrier.getByLabel('Bearer token').fill(await token('CARRIER', 'carrier-aurora'));
    await carrier.getByRole('button', { name: 'Sign in', exact: true }).click();
    await carrier.getByRole('heading', { name: 'Open requests' }).waitFor();
    await carrier.getByRole('link', { name: 'Disputes', exact: true }).click();
    const listed = carrier.locator(`[data-testid="dispute-list"] tr[data-dispute-id="${disputeId}"]`);
    await listed.waitFor();
    expect(await listed.innerText()).toMatch(/buyer-portal[\s\S]*BUYER:buyer-portal[\s\S]*-0\.02 USD[\s\S]*open/);
    await listed.getByRole('link', { name: periodic.number }).click();
    await carrier.locator(`[data-testid="disputes"] tr[data-dispute-id="${disputeId}"]`).waitFor();
    expect(await text(carrier, 'bill-disputed')).toBe('-0.02 USD');
    // The billing agent finds it among the open disputes.
    const agentPage = await newPage('recon-agent');
    await agentPage.goto(`${base}/portal/`);
    await agentPage.locator('button[data-party="billing-agent-demo"]').click();
    await agentPage.getByRole('heading', { name: 'Usage ingestion' }).waitFor();
    await agentPage.getByRole('link', { name: 'Disputes', exact: true }).click();
    const open = agentPage.locator(`[data-testid="dispute-list"] tr[data-dispute-id="${disputeId}"]`);
    await open.waitFor();
    expect(await open.innerText()).toContain(periodic.number);

    // The billing agent accepts it through the API; the buyer's page shows the decision and the adjustment bill.
    const resolved = await gqlOk(gw, `mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { status adjustmentBillId } }`, { i: { disputeId, accept: true, reason: 'the Moderator has no record of that call' } }, agent);
    expect(resolved.resolveDispute.status).toBe('ACCEPTED');
    await buyer.reload();
    await waitForText(buyer, 'dispute-decision', (t) => t.includes('the Moderator has no record of that call'), 'the decision on the buyer page');
    expect(await row.getAttribute('data-dispute-status')).toBe('ACCEPTED');
    expect(await text(buyer, 'bill-disputed')).toBe('0 USD');
    const history = await buyer.locator('[data-testid="dispute-history"] li').allTextContents();
    expect(history.map((h) => h.replace(/^.*?(opened|accepted)/, '$1'))).toEqual([
      'opened by BUYER:buyer-portal: the 2-minute call on the 6th is only in the carrier’s records',
      'accepted by BILLING_AGENT:portal-recon-agent: the Moderator has no record of that call',
    ]);
    await shot(buyer, '13-buyer-dispute-accepted');
    await buyer.getByTestId('dispute-adjustment').click();
    // A negative correction is a credit note, numbered in its own series.
    await waitForText(buyer, 'bill-number', (t) => t !== periodic.number && /^CN-/.test(t), 'the adjustment bill');
    expect(decodeURIComponent(new URL(buyer.url()).hash.split('/').pop()!)).toBe(resolved.resolveDispute.adjustmentBillId);
    expect(await text(buyer, 'bill-total')).toBe('-0.02 USD');
    await shot(buyer, '14-buyer-adjustment-bill');

    // The carrier disputes the usage line too; the billing agent rejects it from the bill page, with a reason.
    await carrier.getByLabel('Disputed', { exact: true }).selectOption('0');
    await carrier.getByLabel('Correction (USD)').fill('0.05');
    await carrier.getByLabel('Reason', { exact: true }).fill('the call on the 3rd lasted 602 s by our switch');
    await carrier.getByRole('button', { name: 'Open dispute' }).click();
    // (The carrier's page still shows the buyer's dispute as it was when loaded; opening reloads it.)
    const carrierOpen = carrier.locator(`[data-testid="disputes"] tbody tr[data-dispute-status="OPEN"]:not([data-dispute-id="${disputeId}"])`);
    await carrierOpen.waitFor();
    expect(await carrierOpen.innerText()).toMatch(/line 1: Usage/);
    const secondId = (await carrierOpen.getAttribute('data-dispute-id'))!;
    await agentPage.goto(`${base}/portal/#/bills/${encodeURIComponent(periodic.id)}`);
    const toDecide = agentPage.locator(`[data-testid="disputes"] tr[data-dispute-id="${secondId}"]`);
    await toDecide.getByRole('button', { name: 'Decide' }).click();
    await agentPage.getByRole('button', { name: 'Reject' }).click();
    await agentPage.locator('[data-field-error="input.reason"]').waitFor();
    await agentPage.getByLabel('Reason of the decision').fill('billed per started minute, as awarded');
    await agentPage.getByRole('button', { name: 'Reject' }).click();
    await agentPage.locator(`[data-testid="disputes"] tr[data-dispute-id="${secondId}"][data-dispute-status="REJECTED"]`).waitFor();
    expect(await toDecide.innerText()).toContain('billed per started minute, as awarded');
    await shot(agentPage, '15-agent-dispute-rejected');
    const decided = await gqlOk(gw, `query($id: ID) { disputes(billId: $id) { id status resolutionReason } }`, { id: periodic.id }, agent);
    expect(decided.disputes).toEqual([
      { id: disputeId, status: 'ACCEPTED', resolutionReason: 'the Moderator has no record of that call' },
      { id: secondId, status: 'REJECTED', resolutionReason: 'billed per started minute, as awarded' },
    ]);
    expect(problems).toEqual([]);
  }, 120_000);
  it('carrier keeps its SIP trunks: field errors from the API, add, remove', async () => {
    const page = await newPage('trunks');
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/portal/`);
    await page.locator('button[data-party="carrier-boreas"]').click();
    await page.getByRole('link', { name: 'SIP trunks' }).click();
    await page.getByTestId('no-trunks').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('boreas-main');
    await page.getByLabel('Host', { exact: true }).fill('not a host!');
    await page.getByRole('button', { name: 'Add trunk' }).click();
    await page.locator('[data-field-error="host"]').waitFor();
    await page.getByLabel('Host', { exact: true }).fill('sip.boreas.example');
    await page.getByLabel('Tech prefix').fill('#12');
    await page.getByRole('button', { name: 'Add trunk' }).click();
    await page.locator('[data-testid="trunks"] tbody tr').first().waitFor();
    expect(await page.locator('[data-testid="trunks"] tbody tr').first().innerText()).toMatch(/boreas-main\s+sip\.boreas\.example\s+5060\s+UDP\s+#12\s+0/);
    const stored = await gqlOk(stack.gateway.url, `{ carrierTrunks { name host techPrefix } }`, {}, await token('CARRIER', 'carrier-boreas'));
    expect(stored.carrierTrunks).toEqual([{ name: 'boreas-main', host: 'sip.boreas.example', techPrefix: '#12' }]);
    await shot(page, '16-carrier-trunks');
    await page.getByRole('button', { name: 'Remove trunk boreas-main' }).click();
    await page.getByTestId('no-trunks').waitFor();
    expect((await gqlOk(stack.gateway.url, `{ carrierTrunks { name } }`, {}, await token('CARRIER', 'carrier-boreas'))).carrierTrunks).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);
});
