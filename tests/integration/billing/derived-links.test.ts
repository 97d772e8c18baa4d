// Issue 20 (low–medium): a signed link to a bill's HTML page yielded a fresh 7-day link to its
// call-detail CSV, so a link about to expire could be renewed for a week. A derived link now
// expires with the link it came from.
import { documentUrls } from '../../../billing-subgraph/src/services/bill-run';
import { gqlOk, startBilling } from '../../support/harness';
import { agentToken, GENERATE, ingestOk, recordSelection, voice, type Billing } from './fixtures';

const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };

describe('links derived from a signed bill link', () => {
  let b: Billing;
  let billId: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    const agent = await agentToken();
    await recordSelection(b, { selectionId: 'dl-sel', requestId: 'dl-req', buyerId: 'dl-buyer', carrierId: 'dl-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    await ingestOk(b, [voice({ recordId: 'dl-1', seconds: 60, buyerId: 'dl-buyer', carrierId: 'dl-carrier', start: '2026-11-10T10:00:00Z', destination: '+442079460000', source: 'CARRIER' })], agent);
    billId = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.kind === 'PERIODIC').id;
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('the page opened through a link that expires in a minute hands out an annex link expiring with it', async () => {
    const ttl = b.deps.config.BILL_LINK_MAX_TTL_SECONDS;
    // A link issued (ttl − 60 s) ago: still valid for a minute.
    const old = documentUrls(b.deps, billId, Date.now() - (ttl - 60) * 1000);
    const expires = Number(new URL(old.html).searchParams.get('expires'));
    const page = await fetch(old.html.replace(b.deps.publicBase(), new URL(b.url).origin));
    expect(page.status).toBe(200);
    const html = await page.text();
    const href = /href="([^"]*\.calls\.csv[^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect(href).toBeDefined();
    const derived = Number(new URL(href!, b.url).searchParams.get('expires'));
    expect(derived).toBeLessThanOrEqual(expires);
    // The derived link works until then.
    const annex = await fetch(new URL(href!, b.url).toString().replace(b.deps.publicBase(), new URL(b.url).origin));
    expect(annex.status).toBe(200);
  });
});
