import { errorCodes, gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, BILL_FIELDS, GENERATE, ingestOk, OCT, recordSelection, voice, type Billing } from './fixtures';

describe('generateBills, adjustments, bill access and the posted bill website', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('issues one PERIODIC bill per buyer per request with the advance credited, idempotently', async () => {
    // advance: 10 min x 0.50 = 5.00 (credit pool) + setup fee 20 (not creditable)
    const s = await recordSelection(b, {
      selectionId: 'pb-sel', requestId: 'pb-req', buyerId: 'pb-buyer', carrierId: 'pb-carrier', quantity: '10',
      incentive: { currency: 'USD', ratePerUnit: '0.50', setupFee: '20' },
    });
    expect(s.advanceBill.total.amount).toBe('25.00');
    // usage 15 min = 7.50; minus advance credit 5.00 = 2.50
    await ingestOk(b, [0, 1, 2].map((i) => voice({ recordId: `pb-${i}`, seconds: 300, buyerId: 'pb-buyer', carrierId: 'pb-carrier', start: `2026-10-0${i + 2}T08:00:00Z` })));
    const agent = await agentToken();
    const run = (await gqlOk(b.url, GENERATE, { period: OCT }, agent)).generateBills;
    const mine = run.bills.filter((x: any) => x.buyer.id === 'pb-buyer');
    expect(mine).toHaveLength(1);
    const bill = mine[0];
    expect(bill).toMatchObject({ kind: 'PERIODIC', groupBy: 'BUYER_REQUEST', sequence: 0, status: 'ISSUED', recordCount: 3, request: { id: 'pb-req' }, carrier: { id: 'pb-carrier' } });
    expect(bill.lines.map((l: any) => [l.kind, l.quantity, l.amount])).toEqual([
      ['USAGE', '15', '7.500000'],
      ['ADVANCE_CREDIT', null, '-5.000000'],
    ]);
    expect(bill.total).toEqual({ amount: '2.50', currency: 'USD' });
    expect(bill.period).toEqual({ start: '2026-10-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' });
    const again = (await gqlOk(b.url, GENERATE, { period: OCT }, agent)).generateBills;
    expect(again.issued).toBe(0);
    expect(again.bills.map((x: any) => x.id)).toEqual(run.bills.map((x: any) => x.id));
  });

  it('two concurrent runs for one period produce one set of bills', async () => {
    await recordSelection(b, { selectionId: 'cc-sel', requestId: 'cc-req', buyerId: 'cc-buyer', carrierId: 'cc-carrier', quantity: '1', incentive: { currency: 'EUR', ratePerUnit: '1' } });
    await recordSelection(b, { selectionId: 'cc-sel2', requestId: 'cc-req2', buyerId: 'cc-buyer', carrierId: 'cc-carrier', quantity: '1', incentive: { currency: 'EUR', ratePerUnit: '1' } });
    await ingestOk(b, [
      voice({ recordId: 'cc-1', seconds: 120, buyerId: 'cc-buyer', carrierId: 'cc-carrier', requestId: 'cc-req', start: '2026-11-03T00:00:00Z' }),
      voice({ recordId: 'cc-2', seconds: 120, buyerId: 'cc-buyer', carrierId: 'cc-carrier', requestId: 'cc-req2', start: '2026-11-03T00:00:00Z' }),
    ]);
    const nov = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
    const agent = await agentToken();
    const [r1, r2, r3] = await Promise.all([1, 2, 3].map(() => gqlOk(b.url, GENERATE, { period: nov }, agent)));
    const ids = (r: any) => r.generateBills.bills.map((x: any) => x.id).sort();
    expect(ids(r1)).toHaveLength(2);
    expect(ids(r2)).toEqual(ids(r1));
    expect(ids(r3)).toEqual(ids(r1));
    expect(r1.generateBills.issued + r2.generateBills.issued + r3.generateBills.issued).toBe(2);
    expect(await b.models.Bill.countDocuments({ kind: 'PERIODIC', periodStart: new Date(nov.start) })).toBe(2);
    expect(await b.models.BillClaim.countDocuments({ _id: { $in: ['MODERATOR:cc-1', 'MODERATOR:cc-2'] } })).toBe(2);
  });

  it('bills late usage for an already billed period on an ADJUSTMENT bill; the issued bill never changes', async () => {
    await recordSelection(b, { selectionId: 'adj-sel', requestId: 'adj-req', buyerId: 'adj-buyer', carrierId: 'adj-carrier', quantity: '1', incentive: { currency: 'USD', ratePerUnit: '1', minimumCharge: '10' } });
    const agent = await agentToken();
    await ingestOk(b, [voice({ recordId: 'adj-1', seconds: 240, buyerId: 'adj-buyer', carrierId: 'adj-carrier', start: '2026-10-10T00:00:00Z' })]);
    const first = (await gqlOk(b.url, GENERATE, { period: OCT }, agent)).generateBills.bills.find((x: any) => x.buyer.id === 'adj-buyer');
    // usage 4.00, top-up to the minimum 6.00, advance credit: advance was 1 min = 1.00 + top-up 9.00 = 10.00 pool
    expect(first.lines.map((l: any) => [l.kind, l.amount])).toEqual([
      ['USAGE', '4.000000'],
      ['MINIMUM_TOP_UP', '6.000000'],
      ['ADVANCE_CREDIT', '-10.000000'],
    ]);
    expect(first.total.amount).toBe('0.00');
    expect(first.status).toBe('PAID');
    await ingestOk(b, [voice({ recordId: 'adj-2', seconds: 180, buyerId: 'adj-buyer', carrierId: 'adj-carrier', start: '2026-10-20T00:00:00Z' })]);
    const run = (await gqlOk(b.url, GENERATE, { period: OCT }, agent)).generateBills;
    expect(run.issued).toBe(1);
    const mine = run.bills.filter((x: any) => x.buyer.id === 'adj-buyer');
    expect(mine.map((x: any) => [x.kind, x.sequence])).toEqual([['PERIODIC', 0], ['ADJUSTMENT', 1]]);
    // the issued bill is unchanged (signed links are minted per read, so they are left out)
    const stable = ({ documentUrls: _d, ...rest }: any) => rest;
    expect(stable(mine[0])).toEqual(stable(first));
    // late usage 3.00 replaces 3.00 of the top-up already billed: net 0
    expect(mine[1].lines.map((l: any) => [l.kind, l.amount])).toEqual([
      ['USAGE', '3.000000'],
      ['MINIMUM_TOP_UP', '-3.000000'],
    ]);
    expect(mine[1].total.amount).toBe('0.00');
  });

  it('itemises a reseller bill per end user and groups BUYER_CARRIER bills across requests', async () => {
    for (const k of [1, 2]) {
      await recordSelection(b, { selectionId: `rs-sel${k}`, requestId: `rs-req${k}`, buyerId: 'rs-buyer', carrierId: 'rs-carrier', buyerIsReseller: true, quantity: '1', incentive: { currency: 'USD', ratePerUnit: '0' }, start: '2026-09-01T00:00:00Z', end: '2026-10-01T00:00:00Z' });
    }
    const at = (d: number) => `2026-09-0${d}T00:00:00Z`;
    await ingestOk(b, [
      voice({ recordId: 'rs-1', seconds: 60, buyerId: 'rs-buyer', carrierId: 'rs-carrier', requestId: 'rs-req1', endUserId: 'alice', start: at(2) }),
      voice({ recordId: 'rs-2', seconds: 120, buyerId: 'rs-buyer', carrierId: 'rs-carrier', requestId: 'rs-req1', endUserId: 'bob', start: at(3) }),
      voice({ recordId: 'rs-3', seconds: 60, buyerId: 'rs-buyer', carrierId: 'rs-carrier', requestId: 'rs-req2', start: at(4) }),
    ]);
    const dec = { start: '2026-09-01T00:00:00Z', end: '2026-10-01T00:00:00Z' };
    const run = (await gqlOk(b.url, GENERATE, { period: dec, groupBy: 'BUYER_CARRIER' }, await agentToken())).generateBills;
    const mine = run.bills.filter((x: any) => x.buyer.id === 'rs-buyer');
    expect(mine).toHaveLength(1);
    expect(mine[0].request).toBeNull();
    expect(mine[0].recordCount).toBe(3);
    expect(mine[0].lines.map((l: any) => [l.requestId, l.endUserId, l.quantity])).toEqual([
      ['rs-req1', 'alice', '1'],
      ['rs-req1', 'bob', '2'],
      ['rs-req2', null, '1'],
    ]);
    expect(mine[0].endUserSubtotals.map((s: any) => s.label).sort()).toEqual(['(direct)', 'alice', 'bob']);
  });

  it('charges PERCENTILE_95 data per period from the 5-minute samples, and only the increase on an adjustment', async () => {
    const aug = { start: '2026-08-01T00:00:00Z', end: '2026-09-01T00:00:00Z' };
    const s = await recordSelection(b, {
      selectionId: 'p95-sel', requestId: 'p95-req', buyerId: 'p95-buyer', carrierId: 'p95-carrier', serviceType: 'DATA', unit: 'MBPS', quantity: '10',
      // 100 minutes of service: twenty 5-minute slots
      start: '2026-08-03T00:00:00Z', end: '2026-08-03T01:40:00Z', incentive: { currency: 'USD', ratePerUnit: '2', dataChargeModel: 'PERCENTILE_95' },
    });
    expect(s.advanceBill.total.amount).toBe('20.00'); // 10 Mbps x 2
    const sample = (i: number, mbps: string) => {
      const start = new Date(Date.UTC(2026, 7, 3, 0, 5 * i));
      return {
        recordId: `p95-${i}`, source: 'MODERATOR', buyerId: 'p95-buyer', carrierId: 'p95-carrier', serviceType: 'DATA', quantity: '1000000',
        intervalStart: start.toISOString(), intervalEnd: new Date(start.getTime() + 300_000).toISOString(),
        volumeSamples: [{ at: start.toISOString(), mbps }],
      };
    };
    // A record without samples cannot be billed at a percentile: refused with the reason, kept as rejected.
    const { volumeSamples: _none, ...unsampled } = sample(3, '1');
    const refused = await ingestOk(b, [{ ...unsampled, recordId: 'p95-nosamples' }]);
    expect(refused).toMatchObject({ accepted: 0, rejected: [{ recordId: 'p95-nosamples', field: 'volumeSamples' }] });
    expect(refused.rejected[0].reason).toMatch(/volumeSamples are required/);
    // 20 slots at 1..20 Mbps: the top 1 (5 % of 20 slots) is dropped, 19 Mbps billed = 38.00, minus the 20.00 advance
    await ingestOk(b, Array.from({ length: 20 }, (_, i) => sample(i, String(i + 1))));
    const agent = await agentToken();
    const bill = (await gqlOk(b.url, GENERATE, { period: aug }, agent)).generateBills.bills.find((x: any) => x.buyer.id === 'p95-buyer');
    expect(bill.lines.map((l: any) => [l.kind, l.unit, l.quantity, l.amount])).toEqual([
      ['USAGE', 'MBPS_P95', '19', '38.000000'],
      ['ADVANCE_CREDIT', null, null, '-20.000000'],
    ]);
    expect(bill.total.amount).toBe('18.00');
    expect(bill.lines[0].description).toMatch(/^95th percentile 19 Mbps of 20 five-minute slots \(0 without samples counted as zero, 1 highest dropped; 1 meter summed per slot\)/);
    // a late sample of 50 Mbps by the same meter for slot 5 (it reported 6 there): the slot counts
    // once, at 50; 1 of 20 slots dropped, p95 = 20 Mbps = 40.00, i.e. 2.00 more
    await ingestOk(b, [{ ...sample(5, '50'), recordId: 'p95-late' }]);
    const adj = (await gqlOk(b.url, GENERATE, { period: aug }, agent)).generateBills.bills.filter((x: any) => x.buyer.id === 'p95-buyer');
    expect(adj.map((x: any) => x.kind)).toEqual(['PERIODIC', 'ADJUSTMENT']);
    expect(adj[1].lines.map((l: any) => [l.kind, l.amount])).toEqual([['USAGE', '2.000000']]);
    expect(adj[1].total.amount).toBe('2.00');
  });

  it('bills the minimum charge of an active selection even in a period without usage', async () => {
    // advance: 1 min x 1.00 + top-up 4.00 = 5.00, all of it a credit pool
    await recordSelection(b, { selectionId: 'min-sel', requestId: 'min-req', buyerId: 'min-buyer', carrierId: 'min-carrier', quantity: '1', start: '2026-06-01T00:00:00Z', end: '2026-08-01T00:00:00Z', incentive: { currency: 'USD', ratePerUnit: '1', minimumCharge: '5' } });
    const agent = await agentToken();
    const june = (await gqlOk(b.url, GENERATE, { period: { start: '2026-06-01T00:00:00Z', end: '2026-07-01T00:00:00Z' } }, agent)).generateBills.bills.filter((x: any) => x.buyer.id === 'min-buyer');
    expect(june).toHaveLength(1);
    expect(june[0]).toMatchObject({ kind: 'PERIODIC', recordCount: 0, total: { amount: '0.00', currency: 'USD' } });
    expect(june[0].lines.map((l: any) => [l.kind, l.amount])).toEqual([['MINIMUM_TOP_UP', '5.000000'], ['ADVANCE_CREDIT', '-5.000000']]);
    const july = (await gqlOk(b.url, GENERATE, { period: { start: '2026-07-01T00:00:00Z', end: '2026-08-01T00:00:00Z' } }, agent)).generateBills;
    const mine = july.bills.filter((x: any) => x.buyer.id === 'min-buyer');
    expect(mine.map((x: any) => [x.kind, x.total.amount])).toEqual([['PERIODIC', '5.00']]);
    // re-running issues nothing new
    const again = (await gqlOk(b.url, GENERATE, { period: { start: '2026-07-01T00:00:00Z', end: '2026-08-01T00:00:00Z' } }, agent)).generateBills;
    expect(again.issued).toBe(0);
    expect(again.bills.filter((x: any) => x.buyer.id === 'min-buyer').map((x: any) => x.id)).toEqual(mine.map((x: any) => x.id));
  });

  it('lets a buyer or carrier see only its own bills', async () => {
    const buyer = await token('BUYER', 'pb-buyer');
    const own = await gqlOk(b.url, `{ bills { nodes { id buyer { id } kind } } }`, {}, buyer);
    expect(own.bills.nodes.length).toBe(2); // advance + periodic
    expect(own.bills.nodes.every((n: any) => n.buyer.id === 'pb-buyer')).toBe(true);
    const other = await b.models.Bill.findOne({ buyerId: 'cc-buyer' }).lean();
    const r = await gql(b.url, `query($id: ID!) { bill(id: $id) { id total { amount } } }`, { id: other!._id }, buyer);
    expect(errorCodes(r)).toEqual(['FORBIDDEN']);
    expect(r.data?.bill ?? null).toBeNull();
    expect(errorCodes(await gql(b.url, `{ bills(filter: { buyerId: "cc-buyer" }) { nodes { id } } }`, {}, buyer))).toEqual(['FORBIDDEN']);
    const carrier = await token('CARRIER', 'cc-carrier');
    const c = await gqlOk(b.url, `{ bills { nodes { carrier { id } } } }`, {}, carrier);
    expect(c.bills.nodes.length).toBe(4);
    expect(errorCodes(await gql(b.url, GENERATE, { period: OCT }, buyer))).toEqual(['FORBIDDEN']);
  });

  it('posts the bill as HTML, PDF and CSV for token holders and signed links only', async () => {
    const buyer = await token('BUYER', 'pb-buyer');
    const { bills } = await gqlOk(b.url, `{ bills(filter: { kind: PERIODIC }) { nodes { ${BILL_FIELDS} } } }`, {}, buyer);
    const bill = bills.nodes[0];
    const base = new URL(b.url).origin;
    const html = await fetch(`${base}/bills/${bill.id}`, { headers: { authorization: `Bearer ${buyer}` } });
    expect(html.status).toBe(200);
    const page = await html.text();
    expect(page).toContain(`<span id="total">2.50</span> USD`);
    expect(page).toContain(bill.number);
    const csv = await (await fetch(bill.documentUrls.csv)).text();
    const rows = csv.trim().split('\r\n');
    expect(rows[0]).toBe('bill_number,document,bill_id,kind,buyer_id,carrier_id,request_id,time_zone,period_start_local,period_end_local,period_start,period_end,line_kind,description,end_user_id,quantity,unit,rate_per_unit,tier_index,amount,currency');
    expect(rows[rows.length - 1].endsWith(',TOTAL,Total (rounded to the minor unit),,,,,,2.50,USD')).toBe(true);
    const pdf = await fetch(bill.documentUrls.pdf);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await fetch(`${base}/bills/${bill.id}.pdf`)).status).toBe(401);
    const tampered = bill.documentUrls.html.replace(/sig=[^&]+/, 'sig=AAAA');
    expect((await fetch(tampered)).status).toBe(403);
    const otherBuyer = await token('BUYER', 'cc-buyer');
    expect((await fetch(`${base}/bills/${bill.id}.csv`, { headers: { authorization: `Bearer ${otherBuyer}` } })).status).toBe(403);
    // a link for the HTML page does not open the PDF
    const crossed = bill.documentUrls.html.replace(`/bills/${bill.id}?`, `/bills/${bill.id}.pdf?`);
    expect((await fetch(crossed)).status).toBe(403);
  });
});
