// Disputes (issue 13, item 5): the buyer disputes a periodic bill with the reconciliation as
// evidence; the carrier and the billing agent see it and the disputed amount on the bill; the
// agent accepts it into an ADJUSTMENT bill, or rejects another with a reason; history kept.
import { gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, GENERATE, ingestOk, recordSelection, voice, type Billing } from './fixtures';

const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
const DISPUTE = `id billId billNumber buyerId carrierId lineIndex reason amount { amount currency } status openedBy evidenceCsv resolutionReason resolvedAmount { amount } adjustmentBillId history { by action reason }`;
const OPEN = `mutation($i: OpenDisputeInput!) { openDispute(input: $i) { ${DISPUTE} } }`;
const RESOLVE = `mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { ${DISPUTE} } }`;
const BILL = `query($id: ID!) { bill(id: $id) { id kind total { amount } disputedAmount { amount currency } disputes { id status } } }`;

describe('disputes', () => {
  let b: Billing;
  let agent: string;
  let billId: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    agent = await agentToken();
    await recordSelection(b, { selectionId: 'dsp-sel', requestId: 'dsp-req', buyerId: 'dsp-buyer', carrierId: 'dsp-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    await ingestOk(b, [voice({ recordId: 'dsp-1', seconds: 600, buyerId: 'dsp-buyer', carrierId: 'dsp-carrier', start: '2026-11-10T10:00:00Z', destination: '+442079460000', source: 'CARRIER' })], agent);
    const bill = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.carrier.id === 'dsp-carrier' && x.kind === 'PERIODIC');
    billId = bill.id;
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('opened by the buyer with evidence, seen by the carrier, accepted into an ADJUSTMENT bill', async () => {
    const buyer = await token('BUYER', 'dsp-buyer');
    const carrier = await token('CARRIER', 'dsp-carrier');
    const opened = (await gqlOk(b.url, OPEN, { i: { billId, lineIndex: 0, reason: 'our switch measured 9 minutes, not 10', amount: '-0.60' } }, buyer)).openDispute;
    expect(opened).toMatchObject({ billId, buyerId: 'dsp-buyer', carrierId: 'dsp-carrier', lineIndex: 0, status: 'OPEN', amount: { amount: '-0.6', currency: 'USD' }, openedBy: 'BUYER:dsp-buyer' });
    expect(opened.evidenceCsv).toContain('CARRIER,1,600,10.000000,6.000000');
    // The other party sees it on the bill, with the disputed amount.
    const seen = (await gqlOk(b.url, BILL, { id: billId }, carrier)).bill;
    expect(seen.disputedAmount).toEqual({ amount: '-0.6', currency: 'USD' });
    expect(seen.disputes).toEqual([{ id: opened.id, status: 'OPEN' }]);
    // Only the billing agent decides.
    expect((await gql(b.url, RESOLVE, { i: { disputeId: opened.id, accept: true, reason: 'x' } }, carrier)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const decided = (await gqlOk(b.url, RESOLVE, { i: { disputeId: opened.id, accept: true, reason: 'meter records confirm 540 s' } }, agent)).resolveDispute;
    expect(decided).toMatchObject({ status: 'ACCEPTED', resolutionReason: 'meter records confirm 540 s', resolvedAmount: { amount: '-0.6' }, adjustmentBillId: expect.any(String) });
    expect(decided.history.map((h: any) => [h.by, h.action])).toEqual([['BUYER:dsp-buyer', 'OPENED'], ['BILLING_AGENT:agent-1', 'ACCEPTED']]);
    const adj = (await gqlOk(b.url, BILL, { id: decided.adjustmentBillId }, buyer)).bill;
    expect(adj).toMatchObject({ kind: 'ADJUSTMENT', total: { amount: '-0.60' } });
    expect((await gqlOk(b.url, BILL, { id: billId }, buyer)).bill.disputedAmount.amount).toBe('0');
    // Decided once.
    const again = await gql(b.url, RESOLVE, { i: { disputeId: opened.id, accept: true, reason: 'twice' } }, agent);
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/already ACCEPTED/) });
  });

  it('rejected with a reason; bad input and strangers refused', async () => {
    const carrier = await token('CARRIER', 'dsp-carrier');
    const opened = (await gqlOk(b.url, OPEN, { i: { billId, reason: 'rate should be 0.7', amount: '1.00' } }, carrier)).openDispute;
    const rejected = (await gqlOk(b.url, RESOLVE, { i: { disputeId: opened.id, accept: false, reason: 'the awarded rate is 0.6' } }, agent)).resolveDispute;
    expect(rejected).toMatchObject({ status: 'REJECTED', resolutionReason: 'the awarded rate is 0.6', adjustmentBillId: null });
    const stranger = await gql(b.url, OPEN, { i: { billId, reason: 'x', amount: '-1' } }, await token('BUYER', 'someone-else'));
    expect(stranger.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const zero = await gql(b.url, OPEN, { i: { billId, reason: 'x', amount: '0' } }, carrier);
    expect(zero.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.amount' } });
    const cents = await gql(b.url, OPEN, { i: { billId, reason: 'x', amount: '-0.001' } }, carrier);
    expect(cents.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.amount' } });
    const line = await gql(b.url, OPEN, { i: { billId, reason: 'x', amount: '-1', lineIndex: 99 } }, carrier);
    expect(line.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.lineIndex' } });
    const list = (await gqlOk(b.url, `query($id: ID) { disputes(billId: $id) { status } }`, { id: billId }, await token('BUYER', 'dsp-buyer'))).disputes;
    expect(list.map((d: any) => d.status)).toEqual(['ACCEPTED', 'REJECTED']);
  });
});
