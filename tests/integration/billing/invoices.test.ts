import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import { Dec } from '../../../billing-subgraph/src/domain';
import { billPdf } from '../../../billing-subgraph/src/http/invoice-pdf';
import { documentUrls } from '../../../billing-subgraph/src/services/bill-run';
import { gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, GENERATE, ingestOk, OCT, recordSelection, voice, type Billing } from './fixtures';

const INVOICE_FIELDS = `id number kind status total { amount currency } dueAt dueDate timeZone recordCount
  buyerParty { partyId legalName address { lines city region postalCode country } taxRegistration }
  sellerParty { partyId legalName address { city country } }
  netAmount { amount } taxLines { name ratePercent base { amount } amount { amount currency } reverseCharge note }
  destinationSummary { prefix country countryName calls minutes amount { amount } }
  paymentInstructions { text reference }
  documentUrls { html pdf csv callsCsv }`;

const NY = 'America/New_York';

async function profile(b: Billing, partyId: string, role: 'BUYER' | 'CARRIER', over: Record<string, unknown>) {
  await b.models.BillingProfile.create({
    _id: partyId, role, timeZone: 'UTC', cycleDay: 1, currency: null, legalName: null, address: null, taxRegistration: null, tax: null,
    paymentTermsDays: 30, paymentInstructions: null, updatedBy: 'test', updatedAt: new Date(), ...over,
  });
}

/** YYYY-MM-DD of an instant in New York, and New York's UTC offset ("-05:00") on a date. */
const nyDate = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: NY, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
const nyOffset = (d: Date) => new Intl.DateTimeFormat('en-US', { timeZone: NY, timeZoneName: 'longOffset' }).formatToParts(d).find((p) => p.type === 'timeZoneName')!.value.replace('GMT', '') || '+00:00';

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
};

describe('invoices a finance team accepts (issue 14 item 4)', () => {
  let b: Billing;
  let dir: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    dir = mkdtempSync(join(tmpdir(), 'invoice-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('a New York buyer: parties, sales tax, due date at the end of the due day in New York, destinations, a PDF that renders, and the call detail', async () => {
    await profile(b, 'ny-buyer', 'BUYER', {
      timeZone: NY, legalName: 'Acme Telecom Inc.', taxRegistration: 'EIN 12-3456789', paymentTermsDays: 15,
      address: { lines: ['350 Fifth Avenue', 'Suite 4100'], city: 'New York', region: 'NY', postalCode: '10118', country: 'US' },
      tax: { name: 'Sales tax', ratePercent: '8.875', reverseCharge: false },
    });
    await profile(b, 'ny-carrier', 'CARRIER', {
      legalName: 'Carrier Networks GmbH', address: { lines: ['Friedrichstrasse 1'], city: 'Berlin', postalCode: '10117', country: 'DE' },
      paymentInstructions: 'IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX',
    });
    const s = await recordSelection(b, {
      selectionId: 'ny-sel', requestId: 'ny-req', buyerId: 'ny-buyer', carrierId: 'ny-carrier', quantity: '1',
      routes: [{ origin: 'US', destination: '1' }, { origin: 'US', destination: '44' }],
      incentive: { currency: 'USD', ratePerUnit: '0.25' },
    });
    // the advance bill (1 min × 0.25) is taxed too: 0.25 × 8.875 % = 0.0221875 → 0.02
    expect(s.advanceBill.total.amount).toBe('0.27');
    const calls = [
      ['ny-1', '12125551234', 120, '2026-10-05T14:00:00Z'],
      ['ny-2', '18765551234', 300, '2026-10-06T03:30:00Z'],
      ['ny-3', '12125551234', 60, '2026-10-07T12:00:00Z'],
      ['ny-4', '442071234567', 60, '2026-10-08T12:00:00Z'],
      ['ny-5', '12125551234', 180, '2026-10-09T12:00:00Z'],
      ['ny-6', '442071234567', 240, '2026-10-10T12:00:00Z'],
    ] as const;
    await ingestOk(b, calls.map(([id, dest, secs, start]) => voice({ recordId: id, destination: `+${dest}`, seconds: secs, buyerId: 'ny-buyer', carrierId: 'ny-carrier', start })));
    // The buyer's own October: midnight to midnight in New York.
    const run = (await gqlOk(b.url, `mutation { runBillingCycle(period: "2026-10") { bills { id buyer { id } } } }`, {}, await agentToken())).runBillingCycle;
    const { id } = run.bills.find((x: any) => x.buyer.id === 'ny-buyer');
    const buyer = await token('BUYER', 'ny-buyer');
    const bill = (await gqlOk(b.url, `query($id: ID!) { bill(id: $id) { ${INVOICE_FIELDS} } }`, { id }, buyer)).bill;

    // usage 16 min × 0.25 = 4.00, advance credit 0.25: net 3.75; tax 8.875 % = 0.3328125 → 0.33; total 4.08
    expect(bill.netAmount.amount).toBe('3.75');
    expect(bill.taxLines).toEqual([{ name: 'Sales tax', ratePercent: '8.875', base: { amount: '3.75' }, amount: { amount: '0.33', currency: 'USD' }, reverseCharge: false, note: null }]);
    expect(bill.total).toEqual({ amount: '4.08', currency: 'USD' });
    expect(bill.buyerParty).toEqual({ partyId: 'ny-buyer', legalName: 'Acme Telecom Inc.', taxRegistration: 'EIN 12-3456789', address: { lines: ['350 Fifth Avenue', 'Suite 4100'], city: 'New York', region: 'NY', postalCode: '10118', country: 'US' } });
    expect(bill.sellerParty).toEqual({ partyId: 'ny-carrier', legalName: 'Carrier Networks GmbH', address: { city: 'Berlin', country: 'DE' } });
    expect(bill.paymentInstructions).toEqual({ text: 'IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX', reference: bill.number });
    expect(bill.timeZone).toBe(NY);

    // due: 15 days after the issue date in New York, at the end of that day in New York
    const stored = (await b.models.Bill.findById(id).lean())!;
    const issuedNy = nyDate(stored.issuedAt);
    const due = new Date(`${issuedNy}T12:00:00Z`);
    due.setUTCDate(due.getUTCDate() + 15);
    const dueDay = due.toISOString().slice(0, 10);
    const expectedDueAt = new Date(`${dueDay}T23:59:59.999${nyOffset(due)}`);
    expect(bill.dueDate).toBe(dueDay);
    expect(bill.dueAt).toBe(expectedDueAt.toISOString());

    // by destination country; the amounts add up to the usage amount
    expect(bill.destinationSummary).toEqual([
      { prefix: '+1', country: 'US', countryName: 'United States', calls: 3, minutes: '6', amount: { amount: '1.500000' } },
      { prefix: '+1', country: 'JM', countryName: 'Jamaica', calls: 1, minutes: '5', amount: { amount: '1.250000' } },
      { prefix: '+44', country: 'GB', countryName: 'United Kingdom', calls: 2, minutes: '5', amount: { amount: '1.250000' } },
    ]);
    expect(stored.usageAmount).toBe('4.000000');

    // the ledger posts the tax to its own account and balances
    const ledger = await b.models.Ledger.find({ billId: id }).lean();
    expect(ledger.map((l) => [l.account, l.amount]).sort()).toEqual([['buyer:ny-buyer:receivable', '4.08'], ['carrier:ny-carrier:payable', '-3.75'], ['carrier:ny-carrier:tax', '-0.33']]);

    // the call-detail annex as CSV (signed link), in time order, times in New York (with the offset) and UTC,
    // the record id and the seconds; called numbers are quoted text, never a formula or an apostrophe
    const csvText = await (await fetch(bill.documentUrls.callsCsv)).text();
    expect(csvText.split('\r\n')[0]).toBe('record_id,start_local (America/New_York),utc_offset,start_utc,called_number,end_user,seconds,quantity,unit,rate,amount');
    expect(csvText).toContain(',"+12125551234",');
    expect(csvText).not.toContain("'+");
    const cells = parse(csvText, { columns: true }) as Record<string, string>[];
    expect(cells.map((r) => [r['record_id'].split('|')[0], r['start_local (America/New_York)'], r.utc_offset, r.start_utc, r.called_number, r.end_user, r.seconds, r.quantity, r.unit, r.rate, r.amount])).toEqual([
      ['MODERATOR:ny-1', '2026-10-05 10:00:00', 'UTC-04:00', '2026-10-05T14:00:00.000Z', '+12125551234', '', '120', '2', 'MINUTE', '0.25', '0.500000'],
      ['MODERATOR:ny-2', '2026-10-05 23:30:00', 'UTC-04:00', '2026-10-06T03:30:00.000Z', '+18765551234', '', '300', '5', 'MINUTE', '0.25', '1.250000'],
      ['MODERATOR:ny-3', '2026-10-07 08:00:00', 'UTC-04:00', '2026-10-07T12:00:00.000Z', '+12125551234', '', '60', '1', 'MINUTE', '0.25', '0.250000'],
      ['MODERATOR:ny-4', '2026-10-08 08:00:00', 'UTC-04:00', '2026-10-08T12:00:00.000Z', '+442071234567', '', '60', '1', 'MINUTE', '0.25', '0.250000'],
      ['MODERATOR:ny-5', '2026-10-09 08:00:00', 'UTC-04:00', '2026-10-09T12:00:00.000Z', '+12125551234', '', '180', '3', 'MINUTE', '0.25', '0.750000'],
      ['MODERATOR:ny-6', '2026-10-10 08:00:00', 'UTC-04:00', '2026-10-10T12:00:00.000Z', '+442071234567', '', '240', '4', 'MINUTE', '0.25', '1.000000'],
    ]);
    // the same authorization as the other documents
    const base = new URL(b.url).origin;
    expect((await fetch(`${base}/bills/${id}.calls.csv`)).status).toBe(401);
    expect((await fetch(`${base}/bills/${id}.calls.csv`, { headers: { authorization: `Bearer ${await token('BUYER', 'someone-else')}` } })).status).toBe(403);
    expect((await fetch(bill.documentUrls.csv.replace(`/bills/${id}.csv?`, `/bills/${id}.calls.csv?`))).status).toBe(403);
    expect((await fetch(`${base}/bills/${id}.calls.csv`, { headers: { authorization: `Bearer ${buyer}` } })).status).toBe(200);

    // the PDF from the website: rendered to an image with real content, and its text
    if (!has('pdftoppm')) throw new Error('poppler-utils is required (apt-get install -y poppler-utils; .ci/run installs it)');
    const res = await fetch(`${base}/bills/${id}.pdf`, { headers: { authorization: `Bearer ${buyer}` } });
    expect(res.status).toBe(200);
    const pdfFile = join(dir, 'ny.pdf');
    writeFileSync(pdfFile, Buffer.from(await res.arrayBuffer()));
    execFileSync('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', pdfFile, join(dir, 'ny')]);
    const png = PNG.sync.read(readFileSync(join(dir, 'ny-1.png')));
    expect(png.width).toBeGreaterThan(300); // A4 at 50 dpi: 413 × 585
    expect(png.height).toBeGreaterThan(png.width);
    let ink = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 200 || png.data[i + 1] < 200 || png.data[i + 2] < 200) ink++;
    expect(ink).toBeGreaterThan(2000);
    const text = execFileSync('pdftotext', ['-layout', pdfFile, '-']).toString();
    const day = (d: Date) => new Intl.DateTimeFormat('en-US', { timeZone: NY, year: 'numeric', month: 'short', day: 'numeric' }).format(d);
    const dueText = day(expectedDueAt);
    expect(dueText).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}$/);
    // the period's first and last day in New York
    expect([stored.periodStart!.toISOString(), stored.periodEnd!.toISOString()]).toEqual(['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z']);
    const periodText = 'Oct 1, 2026 – Oct 31, 2026';
    for (const want of ['Acme Telecom Inc.', '350 Fifth Avenue', 'New York, NY 10118', 'EIN 12-3456789', 'Carrier Networks GmbH', 'Berlin', `Invoice ${bill.number}`, periodText, dueText, 'Net 15', 'IBAN DE89 3704 0044 0532 0130 00', `Invoice ${bill.number} · Page 1 of 1`]) {
      expect(text).toContain(want);
    }
    // the remittance block: pay to, bank details, reference, amount, due
    expect(text).toMatch(new RegExp(`Remittance\\s+Pay to\\s+Carrier Networks GmbH\\s+Bank details\\s+IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX\\s+Reference\\s+${bill.number}\\s+Amount\\s+4\\.08 USD\\s+Due\\s+${dueText}`));
    // money at 2 decimals everywhere outside the CSV; internal ids only in the call-detail part
    const [front, annexText] = text.split(/\n\s*Call detail\n/);
    expect(front).not.toMatch(/\d\.\d{3,}(?! ?%)/);
    for (const id of ['ny-buyer', 'ny-carrier', 'ny-req', 'ny-sel']) expect(front).not.toContain(id);
    expect(annexText).toContain('buyer ny-buyer, carrier ny-carrier; request ny-req');
    expect(text).toMatch(/Sales tax 8\.875% on 3\.75\s+0\.33 USD/);
    expect(text).toMatch(/Net\s+3\.75 USD/);
    expect(text).toMatch(/Total\s+4\.08 USD/);
    expect(text).toMatch(/\+1 United States \(US\)\s+3\s+6\s+0\.25 USD\/min\s+1\.50\n/);
    expect(text).toMatch(/\+44 United Kingdom \(GB\)\s+2\s+5\s+0\.25 USD\/min\s+1\.25\n/);
    expect(text).toMatch(/Usage, base rate\s+16\s+min\s+0\.25 USD\/min\s+4\.00\n/);
    expect(text).toMatch(/2026-10-05 23:30:00\s+2026-10-06T03:30:00Z\s+\+18765551234\s+300\s+0\.25 USD\/min\s+1\.25\n/);
    expect(text).toContain('6 billed records; start times local to the buyer (America/New_York;');
    expect(text).toMatch(/2026-10-05 10:00:00\s+2026-10-05T14:00:00Z\s+\+12125551234/);

    // the HTML page names the parties and the dates in New York
    const page = await (await fetch(bill.documentUrls.html)).text();
    expect(page).toContain('Acme Telecom Inc.');
    expect(page).toContain(`<dd id="due">${dueText}</dd>`);
    expect(page).toContain(`<dd id="period">${periodText}</dd>`);
    expect(page).toContain('+12125551234');
  });

  it('a bill larger than BILL_PDF_CALL_DETAIL_MAX says in its PDF how many calls there are and where the CSV is', async () => {
    const small = await startBilling({ WORKERS: 'false', BILL_PDF_CALL_DETAIL_MAX: '2' });
    try {
      await recordSelection(small, { selectionId: 'big-sel', requestId: 'big-req', buyerId: 'big-buyer', carrierId: 'big-carrier', quantity: '1', routes: [{ origin: 'US', destination: '33' }], incentive: { currency: 'EUR', ratePerUnit: '0.10' } });
      await ingestOk(small, [1, 2, 3].map((i) => voice({ recordId: `big-${i}`, destination: `+3312345678${i}`, seconds: 60, buyerId: 'big-buyer', carrierId: 'big-carrier', start: `2026-10-1${i}T10:00:00Z` })));
      const run = (await gqlOk(small.url, GENERATE, { period: OCT }, await agentToken())).generateBills;
      const bill = run.bills.find((x: any) => x.buyer.id === 'big-buyer');
      const pdfFile = join(dir, 'big.pdf');
      writeFileSync(pdfFile, Buffer.from(await (await fetch(bill.documentUrls.pdf)).arrayBuffer()));
      const text = execFileSync('pdftotext', ['-layout', pdfFile, '-']).toString().replace(/\s+/g, ' ');
      expect(text).toContain('3 calls are billed on this invoice; their call detail is in the CSV annex:');
      expect(text.replace(/\s+/g, '')).toContain(`${new URL(small.url).origin}/bills/${bill.id}.calls.csv`);
      expect(text).not.toContain('+33123456781');
      expect(text).toContain('+33 France (FR) 3 3 0.10 EUR/min 0.30');
      // the parties without a profile: their ids
      expect(text).toContain('big-buyer');
    } finally {
      await small.conn.dropDatabase();
      await small.stop();
    }
  });

  it('reverse charge: a 0 % VAT line saying the customer accounts for the tax; the total is the net', async () => {
    await profile(b, 'rc-buyer', 'BUYER', { timeZone: 'Europe/Berlin', legalName: 'Käufer AG', tax: { name: 'VAT', ratePercent: '0', reverseCharge: true }, taxRegistration: 'DE123456789' });
    const s = await recordSelection(b, { selectionId: 'rc-sel', requestId: 'rc-req', buyerId: 'rc-buyer', carrierId: 'rc-carrier', quantity: '10', incentive: { currency: 'EUR', ratePerUnit: '0.50' } });
    const bill = (await gqlOk(b.url, `query($id: ID!) { bill(id: $id) { ${INVOICE_FIELDS} } }`, { id: s.advanceBill.id }, await agentToken())).bill;
    expect(bill.netAmount.amount).toBe('5.00');
    expect(bill.total.amount).toBe('5.00');
    expect(bill.taxLines).toEqual([{ name: 'VAT', ratePercent: '0', base: { amount: '5.00' }, amount: { amount: '0.00', currency: 'EUR' }, reverseCharge: true, note: 'Reverse charge: the customer accounts for the tax (no tax charged by the supplier).' }]);
    expect(bill.sellerParty).toEqual({ partyId: 'rc-carrier', legalName: null, address: null });
    expect(bill.paymentInstructions).toEqual({ text: null, reference: bill.number });
    const page = await (await fetch(bill.documentUrls.html)).text();
    expect(page).toContain('VAT 0% (reverse charge) on 5.00');
    expect(page).toContain('the customer accounts for the tax');
    const ledger = await b.models.Ledger.find({ billId: bill.id }).lean();
    expect(ledger.map((l) => l.account).sort()).toEqual(['buyer:rc-buyer:receivable', 'carrier:rc-carrier:payable']);
    // an issued bill never changes: a later profile edit reaches only later bills
    await b.models.BillingProfile.updateOne({ _id: 'rc-buyer' }, { $set: { legalName: 'Renamed AG', tax: { name: 'VAT', ratePercent: '19', reverseCharge: false } } });
    const after = (await gqlOk(b.url, `query($id: ID!) { bill(id: $id) { ${INVOICE_FIELDS} } }`, { id: bill.id }, await agentToken())).bill;
    expect({ ...after, documentUrls: null }).toEqual({ ...bill, documentUrls: null });
    expect(after.buyerParty.legalName).toBe('Käufer AG');
  });

  it('VOLUME tiers re-rated at period close: the destination rows and the call detail carry the reached rate and add up to the usage amount', async () => {
    await recordSelection(b, {
      selectionId: 'vd-sel', requestId: 'vd-req', buyerId: 'vd-buyer', carrierId: 'vd-carrier', quantity: '1',
      routes: [{ origin: 'US', destination: '1' }, { origin: 'US', destination: '33' }, { origin: 'US', destination: '49' }],
      incentive: { currency: 'USD', ratePerUnit: '0.10', tierModel: 'VOLUME', tiers: [{ fromQuantity: '10', ratePerUnit: '0.05' }] },
    });
    await ingestOk(b, [
      voice({ recordId: 'vd-1', destination: '+12125551234', seconds: 360, buyerId: 'vd-buyer', carrierId: 'vd-carrier', start: '2026-10-05T10:00:00Z' }),
      voice({ recordId: 'vd-2', destination: '+33123456789', seconds: 240, buyerId: 'vd-buyer', carrierId: 'vd-carrier', start: '2026-10-06T10:00:00Z' }),
      voice({ recordId: 'vd-3', destination: '+4915112345678', seconds: 180, buyerId: 'vd-buyer', carrierId: 'vd-carrier', start: '2026-10-07T10:00:00Z' }),
    ]);
    const run = (await gqlOk(b.url, GENERATE, { period: OCT }, await agentToken())).generateBills;
    const { id } = run.bills.find((x: any) => x.buyer.id === 'vd-buyer');
    const bill = (await gqlOk(b.url, `query($id: ID!) { bill(id: $id) { ${INVOICE_FIELDS} } }`, { id }, await agentToken())).bill;
    // 13 minutes reach the 0.05 tier for all of them: 0.65, spread by billable seconds 360/240/180
    expect((await b.models.Bill.findById(id).lean())!.usageAmount).toBe('0.650000');
    expect(bill.destinationSummary.map((r: any) => [r.country, r.calls, r.minutes, r.amount.amount])).toEqual([['US', 1, '6', '0.300000'], ['FR', 1, '4', '0.200000'], ['DE', 1, '3', '0.150000']]);
    const csv = (await (await fetch(bill.documentUrls.callsCsv)).text()).trim().split('\r\n').slice(1);
    expect(csv.map((l) => l.split(',').slice(-4).join(','))).toEqual(['6,MINUTE,0.05,0.300000', '4,MINUTE,0.05,0.200000', '3,MINUTE,0.05,0.150000']);
  });

  it('streams the call detail of a bill with more records than a page: every billed record once, in time order, adding up to the usage', async () => {
    const N = 2345;
    await recordSelection(b, { selectionId: 'st-sel', requestId: 'st-req', buyerId: 'st-buyer', carrierId: 'st-carrier', quantity: '1', routes: [{ origin: 'US', destination: '44' }], incentive: { currency: 'GBP', ratePerUnit: '0.01' } });
    const t0 = Date.parse('2026-10-02T00:00:00Z');
    // newest first, so the annex's time order is not the ingestion order
    const records = Array.from({ length: N }, (_, i) => voice({ recordId: `st-${i}`, destination: `+4420712${String(i).padStart(5, '0')}`, seconds: 60 + (i % 7), buyerId: 'st-buyer', carrierId: 'st-carrier', start: new Date(t0 + (N - i) * 60_000).toISOString() }));
    expect((await ingestOk(b, records)).accepted).toBe(N);
    const run = (await gqlOk(b.url, GENERATE, { period: OCT }, await agentToken())).generateBills;
    const { id } = run.bills.find((x: any) => x.buyer.id === 'st-buyer');
    const stored = (await b.models.Bill.findById(id).lean())!;
    expect(stored.recordCount).toBe(N);
    const res = await fetch(documentUrls(b.deps, id).callsCsv);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = (parse(await res.text(), { columns: true }) as Record<string, string>[]);
    expect(rows).toHaveLength(N);
    const starts = rows.map((r) => r.start_utc);
    expect([...starts].sort()).toEqual(starts);
    expect(new Set(rows.map((r) => r.called_number)).size).toBe(N);
    expect(new Set(rows.map((r) => r.record_id)).size).toBe(N);
    const total = rows.reduce((a, r) => a.plus(r.amount), new Dec(0));
    expect(total.toFixed(6)).toBe(stored.usageAmount);
    expect(stored.destinationSummary).toEqual([{ prefix: '+44', country: 'GB', countryName: 'United Kingdom', calls: N, minutes: rows.reduce((a, r) => a.plus(r.quantity), new Dec(0)).toFixed(), amount: stored.usageAmount }]);
    // too many for the PDF's table (500 by default): the PDF says how many and where the CSV is
    const pdfFile = join(dir, 'stream.pdf');
    writeFileSync(pdfFile, Buffer.from(await (await fetch(documentUrls(b.deps, id).pdf)).arrayBuffer()));
    expect(execFileSync('pdftotext', ['-layout', pdfFile, '-']).toString()).toContain(`${N} calls are billed on this invoice`);
  });

  it('a finance month (issue 21): an invoice, a credit note from an accepted dispute and a late-record adjustment, rendered and read as a finance team reads them', async () => {
    await profile(b, 'fm-buyer', 'BUYER', {
      timeZone: NY, legalName: 'Müller & Söhne Telecom Inc.', paymentTermsDays: 30, accountNumber: 'CUST-004711',
      address: { lines: ['1 Liberty Plaza'], city: 'New York', region: 'NY', postalCode: '10006', country: 'US' },
      tax: { name: 'Sales tax', ratePercent: '8.875', reverseCharge: false },
    });
    await profile(b, 'fm-carrier', 'CARRIER', { accountNumber: 'SUP-88', legalName: 'Überseekabel GmbH', address: { lines: ['Jägerstraße 5'], city: 'Köln', postalCode: '50667', country: 'DE' }, paymentInstructions: 'IBAN DE02 1203 0000 0000 2020 51' });
    await recordSelection(b, {
      selectionId: 'fm-sel', requestId: 'fm-req', buyerId: 'fm-buyer', carrierId: 'fm-carrier', quantity: '1', start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z',
      routes: [{ origin: 'US', destination: '1' }, { origin: 'US', destination: '44' }],
      incentive: { currency: 'USD', ratePerUnit: '0.25' },
    });
    // two calls at 01:30 on the night New York's clocks go back (EDT, then EST)
    await ingestOk(b, [
      voice({ recordId: 'fm-1', destination: '+12125550001', seconds: 120, buyerId: 'fm-buyer', carrierId: 'fm-carrier', start: '2026-11-01T05:30:00Z' }),
      voice({ recordId: 'fm-2', destination: '+442071230002', seconds: 180, buyerId: 'fm-buyer', carrierId: 'fm-carrier', start: '2026-11-01T06:30:00Z' }),
      voice({ recordId: 'fm-3', destination: '+12125550003', seconds: 60, buyerId: 'fm-buyer', carrierId: 'fm-carrier', start: '2026-11-12T15:00:00Z' }),
    ]);
    const CYCLE = `mutation { runBillingCycle(period: "2026-11") { bills { id kind documentType number sequence buyer { id } total { amount } } } }`;
    const agent = await agentToken();
    const first = (await gqlOk(b.url, CYCLE, {}, agent)).runBillingCycle.bills.filter((x: any) => x.buyer.id === 'fm-buyer');
    expect(first.map((x: any) => [x.kind, x.documentType])).toEqual([['PERIODIC', 'INVOICE']]);
    const invoice = first[0];
    expect(invoice.number).toMatch(/^B-\d{4}-\d{2}-\d{6}$/);

    const buyer = await token('BUYER', 'fm-buyer');
    const base = new URL(b.url).origin;
    const render = async (id: string, name: string) => {
      const res = await fetch(`${base}/bills/${id}.pdf`, { headers: { authorization: `Bearer ${buyer}` } });
      expect(res.status).toBe(200);
      const file = join(dir, `${name}.pdf`);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      execFileSync('pdftoppm', ['-png', '-r', '40', file, join(dir, name)]);
      const png = PNG.sync.read(readFileSync(join(dir, `${name}-1.png`)));
      expect(png.height).toBeGreaterThan(png.width);
      const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
      const [front, annex] = text.split(/\n\s*Call detail\n/);
      expect(annex).toBeDefined();
      // money at the minor unit outside the call-detail annex; no internal ids there
      expect(front).not.toMatch(/\d\.\d{3,}(?! ?%)/);
      for (const internal of ['fm-buyer', 'fm-carrier', 'fm-req', 'fm-sel', 'MODERATOR:']) expect(front).not.toContain(internal);
      return { text, front, annex };
    };

    // the invoice: title, terms in words, remittance block, page X of Y, the DST night with offsets
    const inv = await render(invoice.id, 'fm-invoice');
    expect(inv.front).toContain(`Invoice ${invoice.number}`);
    expect(inv.front).toContain('Müller & Söhne Telecom Inc.');
    expect(inv.front).toContain('Überseekabel GmbH');
    expect(inv.front).toMatch(/Payment terms\s+Net 30/);
    // the advance credit names the advance invoice it draws on
    expect(inv.front).toMatch(/Credit from advance invoice B-\d{4}-\d{2}-\d{6}\s+-0\.25\n/);
    // account numbers from the profiles instead of the internal ids
    expect(inv.front).toMatch(/Account number: SUP-88\s+Account number: CUST-004711/);
    expect(inv.front).toMatch(new RegExp(`Remittance\\s+Pay to\\s+Überseekabel GmbH\\s+Bank details\\s+IBAN DE02 1203 0000 0000 2020 51\\s+Reference\\s+${invoice.number}\\s+Amount\\s+${invoice.total.amount.replace('.', '\\.')} USD\\s+Due\\s+[A-Z][a-z]{2} \\d{1,2}, \\d{4}`));
    expect(inv.text).toMatch(new RegExp(`Invoice ${invoice.number} · Page 1 of 1`));
    expect(inv.annex).toMatch(/2026-11-01 01:30:00 UTC-04:00\s+2026-11-01T05:30:00Z\s+\+12125550001\s+120/);
    expect(inv.annex).toMatch(/2026-11-01 01:30:00 UTC-05:00\s+2026-11-01T06:30:00Z\s+\+442071230002\s+180/);
    expect(inv.annex).toMatch(/2026-11-12 10:00:00\s+2026-11-12T15:00:00Z/);

    // an accepted dispute of 0.03: a credit note in its own series, citing the invoice and the dispute
    const opened = (await gqlOk(b.url, `mutation($i: OpenDisputeInput!) { openDispute(input: $i) { id } }`, { i: { billId: invoice.id, lineIndex: 0, reason: 'call to +12125550003 lasted 53 s', amount: '-0.03' } }, buyer)).openDispute;
    const decided = (await gqlOk(b.url, `mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { adjustmentBillId } }`, { i: { disputeId: opened.id, accept: true, reason: 'switch logs agree' } }, agent)).resolveDispute;
    const credit = (await gqlOk(b.url, `query($id: ID!) { bill(id: $id) { id number kind documentType total { amount } } }`, { id: decided.adjustmentBillId }, buyer)).bill;
    expect(credit).toMatchObject({ kind: 'ADJUSTMENT', documentType: 'CREDIT_NOTE', total: { amount: '-0.03' } });
    expect(credit.number).toMatch(/^CN-\d{4}-\d{2}-\d{6}$/);
    const cn = await render(credit.id, 'fm-credit');
    expect(cn.front).toContain(`Credit note ${credit.number}`);
    expect(cn.front).toMatch(new RegExp(`Credits invoice\\s+${invoice.number}`));
    expect(cn.front).toMatch(new RegExp(`Dispute\\s+${opened.id}`));
    expect(cn.front).toMatch(new RegExp(`Dispute correction to invoice ${invoice.number}\\s+-0\\.03\\n`));
    expect(cn.front).toMatch(/Dispute corrections\s+-0\.03\n/);
    expect(cn.front.replace(/\s+/g, ' ')).toContain(`Dispute ${opened.id} on invoice ${invoice.number}, line "Usage, base rate": original 1.50 USD, corrected to 1.47 USD; correction -0.03 USD. Reason: call to +12125550003 lasted 53 s. Decision: switch logs agree.`);
    expect(cn.front).toMatch(/Total credit\s+-0\.03 USD/);
    expect(cn.front).toContain('0.03 USD credited to your account');
    for (const absent of ['Due date', 'Outstanding', 'IBAN', 'Remittance', 'Net 30', '0 MINUTE at 0', 'USD/MINUTE']) expect(cn.front).not.toContain(absent);
    expect(cn.text).toContain(`Credit note ${credit.number} · Page 1 of 1`);
    expect(cn.annex).toMatch(/dispute\s+2026-11-01 00:00:00\s+2026-11-01T04:00:00Z\s+dispute correction\s+-0\.03/);

    // a late call: an adjustment invoice citing the invoice and naming the call it adds
    await ingestOk(b, [voice({ recordId: 'fm-late', destination: '+442071230009', seconds: 60, buyerId: 'fm-buyer', carrierId: 'fm-carrier', start: '2026-11-20T15:00:00Z' })]);
    const late = (await gqlOk(b.url, CYCLE, {}, agent)).runBillingCycle.bills.filter((x: any) => x.buyer.id === 'fm-buyer' && x.sequence === 2);
    expect(late).toHaveLength(1);
    expect(late[0].number).toMatch(/^B-/);
    const adj = await render(late[0].id, 'fm-late');
    expect(adj.front).toContain(`Invoice ${late[0].number}`);
    expect(adj.front).toMatch(new RegExp(`Corrects invoice\\s+${invoice.number}\\n`));
    expect(adj.front).toMatch(/Reason\s+call records received after the invoice of the period was issued/);
    expect(adj.front.replace(/\s+/g, ' ')).toContain(`Late record: call fm-late (source MODERATOR) to +442071230009 at 2026-11-20 10:00:00, 60 s, not on invoice ${invoice.number}; charged 0.25 USD.`);
    expect(adj.front).toMatch(/Remittance\s+Pay to/);

    // the lines CSV: plain numbers at the minor unit, the document type, the period in New York and UTC
    const rows = parse(await (await fetch(`${base}/bills/${credit.id}.csv`, { headers: { authorization: `Bearer ${buyer}` } })).text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.document, r.line_kind, r.amount])).toEqual([['Credit note', 'USAGE', '-0.03'], ['Credit note', 'NET', '-0.03'], ['Credit note', 'TAX', '0.00'], ['Credit note', 'TOTAL', '-0.03']]);
    expect([rows[0].time_zone, rows[0].period_start_local, rows[0].period_end_local, rows[0].period_start, rows[0].period_end]).toEqual([NY, '2026-11-01 00:00:00', '2026-12-01 00:00:00', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z']);
  });

  it('a long call detail: page X of Y on every page and the table header repeated on each page it continues on', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => ({
      recordId: `SWITCH:call-${i}`, nature: 'CALL' as const, seconds: '60', offset: 'UTC+00:00', ambiguous: false,
      startLocal: `2026-10-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00`, startUtc: '2026-10-01T10:00:00.000Z', calledNumber: `+4420712${String(i).padStart(5, '0')}`,
      endUser: '', quantity: '1', unit: 'MINUTE', rate: '0.25', amount: '0.250000',
    }));
    const pdf = await billPdf(
      { _id: 'bill_long', number: 'B-2026-10-000777', kind: 'PERIODIC', buyerId: 'long-buyer', carrierId: 'long-carrier', currency: 'USD', total: '37.50', subtotal: '37.500000', paidAmount: '0', status: 'ISSUED', recordCount: 150,
        issuedAt: new Date('2026-11-02T00:00:00Z'), dueAt: new Date('2026-12-02T23:59:59.999Z'), periodStart: new Date('2026-10-01T00:00:00Z'), periodEnd: new Date('2026-11-01T00:00:00Z'),
        lines: [{ kind: 'USAGE', description: 'Usage, base rate: 150 MINUTE at 0.25 USD/MINUTE', quantity: '150', unit: 'MINUTE', ratePerUnit: '0.25', amount: '37.500000' }] },
      { rows, csvUrl: 'x' },
    );
    const file = join(dir, 'long.pdf');
    writeFileSync(file, pdf);
    const pages = execFileSync('pdftotext', ['-layout', file, '-']).toString().split('\f').filter((p) => p.trim() !== '');
    expect(pages.length).toBeGreaterThan(2);
    pages.forEach((p, i) => expect(p).toContain(`Invoice B-2026-10-000777 · Page ${i + 1} of ${pages.length}`));
    // every page after the first continues the call detail under its header
    for (const p of pages.slice(1)) expect(p).toMatch(/Record\s+Start \(local\)\s+Start \(UTC\)\s+Called number/);
    expect(pages.join('').match(/call-\d+/g)).toHaveLength(150);
  });
});
