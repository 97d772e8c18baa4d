// Issue 20 (medium, "disputes not bounded by the bill"): a buyer's −5 dispute on a 0.05 bill became
// a −6.00 ADJUSTMENT bill, and a carrier's 999999999999999999.99 dispute reached the ledger. A
// correction is now bounded by what the disputed bill (or line) charged, the decision and its
// adjustment bill are one outcome, and issued bills left without a number are repaired at start-up.
import { gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, GENERATE, ingestOk, recordSelection, voice, type Billing } from './fixtures';

const NOV = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
const DISPUTE = `id status amount { amount } resolvedAmount { amount } adjustmentBillId`;
const OPEN = `mutation($i: OpenDisputeInput!) { openDispute(input: $i) { ${DISPUTE} } }`;
const RESOLVE = `mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { ${DISPUTE} } }`;
const BILL = `query($id: ID!) { bill(id: $id) { id kind number total { amount } lines { amount } } }`;

describe('dispute corrections are bounded by the disputed bill', () => {
  let b: Billing;
  let agent: string;
  let buyer: string;
  let carrier: string;
  let billId: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    agent = await agentToken();
    buyer = await token('BUYER', 'db-buyer');
    carrier = await token('CARRIER', 'db-carrier');
    await recordSelection(b, { selectionId: 'db-sel', requestId: 'db-req', buyerId: 'db-buyer', carrierId: 'db-carrier', quantity: '1', start: NOV.start, end: NOV.end, incentive: { currency: 'USD', ratePerUnit: '0.6', billingIncrement: { initialSeconds: 1, subsequentSeconds: 1 } } });
    // 5 s at 0.60/min: a 0.05 usage line.
    await ingestOk(b, [voice({ recordId: 'db-1', seconds: 5, buyerId: 'db-buyer', carrierId: 'db-carrier', start: '2026-11-10T10:00:00Z', destination: '+442079460000', source: 'CARRIER' })], agent);
    billId = (await gqlOk(b.url, GENERATE, { period: NOV }, agent)).generateBills.bills.find((x: any) => x.carrier.id === 'db-carrier' && x.kind === 'PERIODIC').id;
    expect((await gqlOk(b.url, BILL, { id: billId }, buyer)).bill.lines[0].amount).toBe('0.050000');
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('refuses a credit larger than the line charged and a huge charge', async () => {
    const credit = await gql(b.url, OPEN, { i: { billId, lineIndex: 0, reason: 'not our call', amount: '-5' } }, buyer);
    expect(credit.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.amount' }, message: expect.stringContaining('a credit of at most 0.05') });
    const huge = await gql(b.url, OPEN, { i: { billId, lineIndex: 0, reason: 'more', amount: '999999999999999999.99' } }, carrier);
    expect(huge.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.amount' } });
    expect((await gqlOk(b.url, `query($id: ID) { disputes(billId: $id) { id } }`, { id: billId }, agent)).disputes).toEqual([]);
  });

  it('counts the credits already asked for: several small ones cannot add up past the bound', async () => {
    const first = (await gqlOk(b.url, OPEN, { i: { billId, lineIndex: 0, reason: 'three seconds were ringing', amount: '-0.03' } }, buyer)).openDispute;
    const second = await gql(b.url, OPEN, { i: { billId, lineIndex: 0, reason: 'and again', amount: '-0.03' } }, buyer);
    expect(second.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.amount' }, message: expect.stringContaining('a credit of at most 0.02') });

    // The agent cannot accept more than the bound either; the refusal leaves the dispute OPEN, with nothing billed.
    const tooMuch = await gql(b.url, RESOLVE, { i: { disputeId: first.id, accept: true, reason: 'generous', amount: '-1.00' } }, agent);
    expect(tooMuch.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.amount' } });
    const still = (await gqlOk(b.url, `query($id: ID) { disputes(billId: $id) { id status adjustmentBillId } }`, { id: billId }, agent)).disputes;
    expect(still).toEqual([{ id: first.id, status: 'OPEN', adjustmentBillId: null }]);
    expect(await b.models.BillingRecord.exists({ _id: `dispute|${first.id}` })).toBeNull();

    // Within the bound: accepted with its ADJUSTMENT bill, numbered.
    const decided = (await gqlOk(b.url, RESOLVE, { i: { disputeId: first.id, accept: true, reason: 'ringing time confirmed' } }, agent)).resolveDispute;
    expect(decided).toMatchObject({ status: 'ACCEPTED', resolvedAmount: { amount: '-0.03' }, adjustmentBillId: expect.any(String) });
    const adj = (await gqlOk(b.url, BILL, { id: decided.adjustmentBillId }, buyer)).bill;
    // A negative correction is a credit note, numbered in its own series (issue 21).
    expect(adj).toMatchObject({ kind: 'ADJUSTMENT', total: { amount: '-0.03' }, number: expect.stringMatching(/^CN-/) });
  });

  it('repairs at start-up an issued bill left without its number', async () => {
    // An issuer that died between the flip and the number, long enough ago to be abandoned.
    const other = (await b.models.Bill.findOne({ _id: { $ne: billId }, status: { $ne: 'DRAFT' } }).lean().exec())!;
    const issuedAt = new Date(Date.now() - 10 * 60_000);
    await b.models.Bill.updateOne({ _id: other._id }, { $unset: { number: 1, numberFloor: 1 }, $set: { issuedAt } }).exec();
    expect((await gqlOk(b.url, BILL, { id: other._id }, agent)).bill.number).toBe('(being numbered)');
    const restarted = await startBilling({ WORKERS: 'false', BILLING_DB_NAME: b.dbName });
    try {
      const repaired = (await gqlOk(restarted.url, BILL, { id: other._id }, agent)).bill;
      expect(repaired.number).toMatch(/^B-/);
    } finally {
      await restarted.stop();
    }
  });
});
