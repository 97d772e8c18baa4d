// Issue 14, item 3, in the browser: a New York buyer's November bill reads "Nov 1, 2026 – Nov 30,
// 2026", the days of its period where the buyer is, not "Oct 31, 8:00 PM – Nov 30, 7:00 PM".
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { gqlOk, startStack, token } from '../../support/harness';
import { ingestOk, recordSelection, voice } from '../billing/fixtures';
import { createRequest } from '../moderator/helpers';
import { until } from '../../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIST = path.join(ROOT, 'portal', 'dist', 'index.html');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT = 20_000;

describe('portal: bills and statements dated in the party\'s zone', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` (it builds the portal) before the tests`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    stack = await startStack({ moderator: { SCHEDULER_ENABLED: 'false' }, billing: { WORKERS: 'false' } });
    base = new URL(stack.gateway.url).origin;
    const admin = await token('ADMIN', 'zone-admin');
    await gqlOk(stack.gateway.url, `mutation { registerBuyer(input: { id: "buyer-nyc", name: "Gotham Minutes Inc." }) { id } }`, {}, admin);
    await gqlOk(stack.gateway.url, `mutation { registerCarrier(input: { id: "carrier-chi", name: "Lakeshore Carrier", coverage: ["44"] }) { id } }`, {}, admin);
    // The buyer asked the market for service to 44, so its request went to the carrier: a buyer sees
    // the carriers its requests went to (and only those), as on every real bill.
    await createRequest(stack.gateway.url, await token('BUYER', 'buyer-nyc'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
  }, 60_000);

  async function signedIn(role: 'BUYER' | 'CARRIER', sub: string): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin', viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(`${base}/portal/`);
    await page.getByLabel('Bearer token').fill(await token(role, sub));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('signed-in-as').waitFor();
    return page;
  }

  async function textOf(page: Page, testId: string, ok: (t: string) => boolean, what: string): Promise<string> {
    let last = '';
    const found = await until(async () => {
      last = ((await page.getByTestId(testId).first().textContent({ timeout: 1000 }).catch(() => null)) ?? '').trim();
      return ok(last) && { text: last };
    }, { message: () => `${what} ([data-testid=${testId}] still reads "${last}")`, timeout: WAIT, interval: 100 });
    return found.text;
  }

  it('shows a New York buyer\'s November bill as Nov 1 – Nov 30 and a Chicago carrier\'s statement month in Chicago days', async () => {
    const gw = stack.gateway.url;
    const agent = await token('BILLING_AGENT', 'zone-agent');
    const SET = `mutation($id: ID!, $role: BillingPartyRole!, $p: BillingProfileInput!) { setBillingProfile(partyId: $id, role: $role, profile: $p) { timeZone } }`;
    await gqlOk(gw, SET, { id: 'buyer-nyc', role: 'BUYER', p: { timeZone: 'America/New_York', cycleDay: 1 } }, agent);
    await gqlOk(gw, SET, { id: 'carrier-chi', role: 'CARRIER', p: { timeZone: 'America/Chicago' } }, agent);
    const billing = { url: stack.billing.url } as Parameters<typeof recordSelection>[0];
    await recordSelection(billing, { selectionId: 'sel-nyc', requestId: 'req-nyc', buyerId: 'buyer-nyc', carrierId: 'carrier-chi', quantity: '1', start: '2026-11-01T04:00:00Z', end: '2026-12-01T05:00:00Z' });
    await ingestOk(billing, [voice({ recordId: 'nyc-call', seconds: 600, buyerId: 'buyer-nyc', carrierId: 'carrier-chi', requestId: 'req-nyc', start: '2026-11-30T23:30:00Z' })]);
    const run = await gqlOk(gw, `mutation { runBillingCycle(period: "2026-11") { bills { id number kind timeZone buyer { id } } } }`, {}, agent);
    const bill = run.runBillingCycle.bills.find((x: any) => x.kind === 'PERIODIC' && x.buyer.id === 'buyer-nyc');
    expect(bill.timeZone).toBe('America/New_York');

    const buyer = await signedIn('BUYER', 'buyer-nyc');
    await buyer.goto(`${base}/portal/#/bills/${encodeURIComponent(bill.id)}`);
    await textOf(buyer, 'bill-number', (t) => t === bill.number, 'the November bill');
    // The browser is in Berlin; the bill is dated where the buyer is.
    expect(await textOf(buyer, 'period-days', (t) => t.length > 0, 'the period')).toBe('Nov 1, 2026 – Nov 30, 2026');

    const carrier = await signedIn('CARRIER', 'carrier-chi');
    await carrier.goto(`${base}/portal/#/settlement/2026-12`);
    const caption = await textOf(carrier, 'period-days', (t) => t.length > 0, 'the statement month');
    expect(caption).toBe('Dec 1, 2026 – Dec 31, 2026');
    expect(await carrier.getByLabel('Month (America/Chicago)').inputValue()).toBe('2026-12');
  }, 90_000);
});
