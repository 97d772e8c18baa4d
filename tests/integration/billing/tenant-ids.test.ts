// Issue 12, items 5 and 7: ids that belong to one tenant never collide with another's (usage
// idempotency scoped to the reporter, payment ids to the payer's bill), a same-id record with
// other contents is a conflict, not a duplicate, and usage that cannot be true is refused.
import { errorCodes, gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, billingRecords, ingestOk, moderatorToken, recordSelection, selectionInput, voice, type Billing } from './fixtures';

const PAY = `mutation($i: PaymentInput!) { recordPayment(input: $i) { id billId amount { amount } ledgerEntries { event account amount paymentId billId } } }`;
const BILL = `query($id: ID!) { bill(id: $id) { paid { amount } payments { id amount { amount } ledgerEntries { account amount billId } } } }`;
const REJECTED = `{ rejectedUsage(first: 50) { nodes { recordId field reason reportedBy } } }`;

describe('tenant-scoped ids', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    await recordSelection(b, { selectionId: 'tid-a', requestId: 'tid-req-a', buyerId: 'tid-buyer', carrierId: 'tid-carrier-a' });
    await recordSelection(b, { selectionId: 'tid-b', requestId: 'tid-req-b', buyerId: 'tid-buyer', carrierId: 'tid-carrier-b' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it("a carrier's record id does not make a competitor's real record a duplicate", async () => {
    const a = await token('CARRIER', 'tid-carrier-a');
    const c = await token('CARRIER', 'tid-carrier-b');
    const squat = voice({ recordId: 'cdr-0001', source: 'CARRIER', buyerId: 'tid-buyer', carrierId: 'tid-carrier-a', seconds: 1 });
    expect(await ingestOk(b, [squat], a)).toMatchObject({ accepted: 1, duplicates: 0 });
    const real = voice({ recordId: 'cdr-0001', source: 'CARRIER', buyerId: 'tid-buyer', carrierId: 'tid-carrier-b', seconds: 600 });
    expect(await ingestOk(b, [real], c)).toMatchObject({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await billingRecords(b, 'tid-req-b')).map((r) => r.billableQuantity)).toHaveLength(1);
    // The same record again from the same reporter is a duplicate, never billed twice.
    expect(await ingestOk(b, [real], c)).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('refuses the same id with other contents from the same reporter as a conflict, kept with its reason', async () => {
    const c = await token('CARRIER', 'tid-carrier-b');
    const changed = voice({ recordId: 'cdr-0001', source: 'CARRIER', buyerId: 'tid-buyer', carrierId: 'tid-carrier-b', seconds: 900 });
    const out = await ingestOk(b, [changed], c);
    expect(out).toMatchObject({ accepted: 0, duplicates: 0, rejected: [{ index: 0, recordId: 'cdr-0001', field: 'recordId', reason: expect.stringMatching(/already reported by CARRIER:tid-carrier-b with different contents/) }] });
    const kept = (await gqlOk(b.url, REJECTED, {}, await agentToken())).rejectedUsage.nodes;
    expect(kept).toContainEqual(expect.objectContaining({ recordId: 'cdr-0001', field: 'recordId', reportedBy: 'CARRIER:tid-carrier-b' }));
    expect(await billingRecords(b, 'tid-req-b')).toHaveLength(1);
  });

  it('refuses usage that cannot be true and keeps it as rejected (VOICE longer than its interval)', async () => {
    const impossible = { ...voice({ recordId: 'impossible-1', source: 'CARRIER', buyerId: 'tid-buyer', carrierId: 'tid-carrier-b', seconds: 1 }), quantity: '2678400' };
    const out = await ingestOk(b, [impossible], await token('CARRIER', 'tid-carrier-b'));
    expect(out).toMatchObject({ accepted: 0, rejected: [{ recordId: 'impossible-1', field: 'quantity', reason: expect.stringMatching(/must not exceed its interval/) }] });
    const kept = (await gqlOk(b.url, REJECTED, {}, await agentToken())).rejectedUsage.nodes;
    expect(kept).toContainEqual(expect.objectContaining({ recordId: 'impossible-1', field: 'quantity' }));
  });
});

describe('payment ids scoped to the payer and bill', () => {
  let b: Billing;
  let billA: string;
  let billB: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    billA = (await recordSelection(b, { selectionId: 'pid-a', buyerId: 'pid-buyer-a', carrierId: 'pid-carrier', quantity: '100', incentive: { currency: 'USD', ratePerUnit: '1' } })).advanceBill.id;
    billB = (await recordSelection(b, { selectionId: 'pid-b', buyerId: 'pid-buyer-b', carrierId: 'pid-carrier', quantity: '100', incentive: { currency: 'USD', ratePerUnit: '1' } })).advanceBill.id;
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it("a second buyer reusing another buyer's paymentId records its own payment and sees only its own postings", async () => {
    const a = await token('BUYER', 'pid-buyer-a');
    const c = await token('BUYER', 'pid-buyer-b');
    const first = (await gqlOk(b.url, PAY, { i: { billId: billA, amount: '10.00', path: 'DIRECT', paymentId: 'pay-1' } }, a)).recordPayment;
    expect(first.ledgerEntries.map((l: { account: string }) => l.account)).toContain('buyer:pid-buyer-a:receivable');
    const second = (await gqlOk(b.url, PAY, { i: { billId: billB, amount: '25.00', path: 'DIRECT', paymentId: 'pay-1' } }, c)).recordPayment;
    expect(second).toMatchObject({ id: 'pay-1', billId: billB, amount: { amount: '25.00' } });
    expect(second.ledgerEntries).toHaveLength(2);
    for (const l of second.ledgerEntries) expect(l).toMatchObject({ billId: billB, paymentId: 'pay-1' });
    expect(second.ledgerEntries.map((l: { account: string }) => l.account)).toEqual(['carrier:pid-carrier:payable', 'buyer:pid-buyer-b:receivable']);

    const seenByB = (await gqlOk(b.url, BILL, { id: billB }, c)).bill;
    expect(seenByB).toMatchObject({ paid: { amount: '25.00' }, payments: [{ id: 'pay-1', amount: { amount: '25.00' } }] });
    expect(seenByB.payments[0].ledgerEntries.every((l: { billId: string }) => l.billId === billB)).toBe(true);
    const seenByA = (await gqlOk(b.url, BILL, { id: billA }, a)).bill;
    expect(seenByA.payments[0].ledgerEntries.map((l: { amount: string }) => l.amount)).toEqual(['10.00', '-10.00']);
    expect(await b.models.Payment.countDocuments({ paymentId: 'pay-1' })).toBe(2);
  });

  it('refuses the same paymentId on the same bill with other contents (CONFLICT naming input.paymentId); a retry is the same payment', async () => {
    const a = await token('BUYER', 'pid-buyer-a');
    const clash = await gql(b.url, PAY, { i: { billId: billA, amount: '11.00', path: 'DIRECT', paymentId: 'pay-1' } }, a);
    expect(errorCodes(clash)).toEqual(['CONFLICT']);
    expect(clash.errors?.[0]?.extensions?.field).toBe('input.paymentId');
    const retry = (await gqlOk(b.url, PAY, { i: { billId: billA, amount: '10.0', path: 'DIRECT', paymentId: 'pay-1' } }, a)).recordPayment;
    expect(retry).toMatchObject({ id: 'pay-1', amount: { amount: '10.00' } });
    expect((await gqlOk(b.url, BILL, { id: billA }, a)).bill.paid.amount).toBe('10.00');
  });
});

describe("end users on usage must be ones the buyer registered (issue 12, item 6)", () => {
  let b: Billing;
  const USAGE = `query($f: UsageRecordFilter) { usageRecords(filter: $f, first: 50) { nodes { recordId status unassociatedReason } } }`;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  const select = async (o: Parameters<typeof selectionInput>[0], endUserIds: string[]) =>
    gqlOk(b.url, `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`, { input: { ...selectionInput(o), endUserIds } }, await moderatorToken());

  it("refuses a carrier's usage for end users the reseller never registered, keeping it as rejected with the reason", async () => {
    await select({ selectionId: 'eu-sel', requestId: 'eu-req', buyerId: 'eu-reseller', buyerIsReseller: true, carrierId: 'eu-carrier' }, ['eu-alice', 'eu-bob']);
    const carrier = await token('CARRIER', 'eu-carrier');
    const rec = (recordId: string, endUserId: string) => voice({ recordId, source: 'CARRIER', buyerId: 'eu-reseller', carrierId: 'eu-carrier', requestId: 'eu-req', seconds: 60, endUserId });
    const out = await ingestOk(b, [rec('eu-1', 'eu-alice'), rec('eu-2', 'ghost-1'), rec('eu-3', "-1+1+cmd|' /C calc'!A0")], carrier);
    expect(out.accepted).toBe(1);
    expect(out.rejected).toEqual([
      { index: 1, recordId: 'eu-2', field: 'endUserId', reason: 'endUserId ghost-1 is not an end user buyer eu-reseller registered' },
      { index: 2, recordId: 'eu-3', field: 'endUserId', reason: expect.stringContaining('is not an end user buyer eu-reseller registered') },
    ]);
    const kept = (await gqlOk(b.url, REJECTED, {}, await agentToken())).rejectedUsage.nodes;
    expect(kept).toContainEqual(expect.objectContaining({ recordId: 'eu-2', field: 'endUserId' }));
    expect(await billingRecords(b, 'eu-req')).toHaveLength(1);
  });

  it('parks usage that arrived before its selection when its end user is unknown, and never bills it', async () => {
    const carrier = await token('CARRIER', 'eu-carrier-2');
    const rec = (recordId: string, endUserId: string) => voice({ recordId, source: 'CARRIER', buyerId: 'eu-plain', carrierId: 'eu-carrier-2', requestId: 'eu-req-2', seconds: 60, endUserId });
    expect(await ingestOk(b, [rec('early-eu-1', 'someone')], carrier)).toMatchObject({ accepted: 1 });
    await select({ selectionId: 'eu-sel-2', requestId: 'eu-req-2', buyerId: 'eu-plain', carrierId: 'eu-carrier-2' }, []);
    expect(await billingRecords(b, 'eu-req-2')).toHaveLength(0);
    const nodes = (await gqlOk(b.url, USAGE, { f: { buyerId: 'eu-plain' } }, await agentToken())).usageRecords.nodes;
    expect(nodes).toEqual([{ recordId: 'early-eu-1', status: 'UNASSOCIATED', unassociatedReason: 'endUserId someone: buyer eu-plain does not resell to end users' }]);
  });
});
