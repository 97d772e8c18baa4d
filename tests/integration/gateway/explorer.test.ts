// The gateway's query page (GET /graphql in a browser) works offline: headless Chromium opens it
// with every request to anything but this machine aborted, and runs a query with a token and
// variables. No request leaves localhost, and the page's content policy lets nothing else run.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { gqlOk, startGateway, startStack, token } from '../../support/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT = 20_000;

describe('the query page at /graphql', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    stack = await startStack();
    const admin = await token('ADMIN', 'explorer-admin');
    await gqlOk(stack.gateway.url, `mutation($input: RegisterBuyerInput!) { registerBuyer(input: $input) { id } }`, { input: { id: 'buyer-offline', name: 'Offline Buyer Ltd' } }, admin);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
  }, 60_000);

  it('loads with no request beyond localhost and runs a query with a token and variables', async () => {
    const ctx = await browser.newContext();
    const outside: string[] = [];
    const local: string[] = [];
    const problems: string[] = [];
    // Offline, as far as the page can tell: anything not on this machine is refused (and noted).
    await ctx.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
        local.push(`${route.request().method()} ${url.pathname}`);
        return route.continue();
      }
      outside.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await ctx.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

    const response = await page.goto(stack.gateway.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.getByRole('heading', { name: 'GraphQL query page' }).waitFor();
    // The page's own style applied (a CSP-blocked style would leave the button unstyled).
    expect(await page.getByRole('button', { name: 'Run' }).evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(31, 111, 235)');

    await page.getByLabel('Bearer token').fill(await token('BUYER', 'buyer-offline'));
    // The query the page opens with runs as it is (no bills yet for this buyer).
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('status').filter({ hasText: /^HTTP 200/ }).waitFor();
    expect(JSON.parse(await page.locator('#result').innerText())).toEqual({ data: { bills: { nodes: [] } } });

    await page.getByLabel('Query').fill('query Me($id: ID!) { buyer(id: $id) { id name } }');
    await page.getByLabel('Variables (JSON)').fill('{"id": "buyer-offline"}');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('status').filter({ hasText: /^HTTP 200/ }).waitFor();
    expect(JSON.parse(await page.locator('#result').innerText())).toEqual({ data: { buyer: { id: 'buyer-offline', name: 'Offline Buyer Ltd' } } });

    // Without the token the same query is refused, and the page says so.
    await page.getByLabel('Bearer token').fill('');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('status').filter({ hasText: /^HTTP/ }).and(page.locator('.error')).waitFor();
    expect(await page.locator('#result').innerText()).toContain('"errors"');

    expect(outside).toEqual([]);
    // The page itself and the three operations (a browser's own favicon probe, if any, is not the page's).
    expect(local.filter((r) => r !== 'GET /favicon.ico')).toEqual(['GET /graphql', 'POST /graphql', 'POST /graphql', 'POST /graphql']);
    expect(problems).toEqual([]);
    await ctx.close();
  }, 90_000);

  it('is an API answer, not the page, for clients and operations; off with LANDING_PAGE=false and in production', async () => {
    const { url } = stack.gateway;
    const html = await fetch(url, { headers: { accept: 'text/html' } });
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!127\.0\.0\.1)[a-z]/i);
    // A GET with an operation is executed, whatever the Accept header says.
    const get = await fetch(`${url}?query=${encodeURIComponent('{ billingVersion }')}`, { headers: { accept: 'text/html', 'apollo-require-preflight': 'true' } });
    expect(get.headers.get('content-type')).toContain('application/json');

    for (const env of [{ LANDING_PAGE: 'false' }, { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-its-own-0123456789' }]) {
      const gw = await startGateway({ moderator: stack.moderator.url, billing: stack.billing.url }, env);
      try {
        const r = await fetch(gw.url, { headers: { accept: 'text/html' } });
        expect(r.headers.get('content-type') ?? '').not.toContain('text/html');
        expect(await r.text()).not.toContain('GraphQL query page');
      } finally {
        await gw.stop();
      }
    }
  }, 60_000);
});
