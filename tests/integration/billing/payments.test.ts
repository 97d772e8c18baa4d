import { errorCodes, gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, recordSelection, type Billing } from './fixtures';

const PAY = `mutation($i: PaymentInput!) { recordPayment(input: $i) { id billId amount { amount currency } path recordedBy ledgerEntries { event account amount currency } } }`;
const BILL = `query($id: ID!) { bill(id: $id) { status paid { amount } outstanding { amount } payments { id amount { amount } path } } }`;

describe('payments: partial, overpayment refused, DIRECT and VIA_MODERATOR legs, statements and balances', () => {
  let b: Billing;
  let billId: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    // 100 min x 1.00 = 100.00
    const s = await recordSelection(b, { selectionId: 'pay-sel', buyerId: 'pay-buyer', carrierId: 'pay-carrier', quantity: '100', incentive: { currency: 'USD', ratePerUnit: '1' } });
    billId = s.advanceBill.id;
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('records a partial DIRECT payment by the buyer with one balanced ledger leg', async () => {
    const buyer = await token('BUYER', 'pay-buyer');
    const p = (await gqlOk(b.url, PAY, { i: { billId, amount: '30.00', path: 'DIRECT' } }, buyer)).recordPayment;
    expect(p).toMatchObject({ billId, amount: { amount: '30.00', currency: 'USD' }, path: 'DIRECT', recordedBy: 'BUYER:pay-buyer' });
    expect(p.ledgerEntries).toEqual([
      { event: 'PAYMENT_DIRECT', account: 'carrier:pay-carrier:payable', amount: '30.00', currency: 'USD' },
      { event: 'PAYMENT_DIRECT', account: 'buyer:pay-buyer:receivable', amount: '-30.00', currency: 'USD' },
    ]);
    const bill = (await gqlOk(b.url, BILL, { id: billId }, buyer)).bill;
    expect(bill).toMatchObject({ status: 'PARTIALLY_PAID', paid: { amount: '30.00' }, outstanding: { amount: '70.00' } });
  });

  it('refuses an overpayment with BAD_USER_INPUT on input.amount and changes nothing', async () => {
    const r = await gql(b.url, PAY, { i: { billId, amount: '70.01', path: 'DIRECT' } }, await agentToken());
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].extensions!.field).toBe('input.amount');
    const finer = await gql(b.url, PAY, { i: { billId, amount: '1.005', path: 'DIRECT' } }, await agentToken());
    expect(finer.errors![0].extensions!.field).toBe('input.amount');
    expect((await gqlOk(b.url, BILL, { id: billId }, await agentToken())).bill.paid.amount).toBe('30.00');
  });

  it('lets two concurrent payments never overpay together', async () => {
    const agent = await agentToken();
    const results = await Promise.all([1, 2, 3].map(() => gql(b.url, PAY, { i: { billId, amount: '40.00', path: 'DIRECT' } }, agent)));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => errorCodes(r)[0] === 'BAD_USER_INPUT').length).toBe(2);
    expect((await gqlOk(b.url, BILL, { id: billId }, agent)).bill).toMatchObject({ status: 'PARTIALLY_PAID', paid: { amount: '70.00' }, outstanding: { amount: '30.00' } });
  });

  it('records a VIA_MODERATOR payment as two ledger legs through the moderator clearing account', async () => {
    const mod = await token('MODERATOR', 'moderator');
    const p = (await gqlOk(b.url, PAY, { i: { billId, amount: '30.00', path: 'VIA_MODERATOR', paymentId: 'via-1' } }, mod)).recordPayment;
    expect(p.ledgerEntries).toEqual([
      { event: 'PAYMENT_BUYER_TO_MODERATOR', account: 'moderator:clearing', amount: '30.00', currency: 'USD' },
      { event: 'PAYMENT_BUYER_TO_MODERATOR', account: 'buyer:pay-buyer:receivable', amount: '-30.00', currency: 'USD' },
      { event: 'PAYMENT_MODERATOR_TO_CARRIER', account: 'carrier:pay-carrier:payable', amount: '30.00', currency: 'USD' },
      { event: 'PAYMENT_MODERATOR_TO_CARRIER', account: 'moderator:clearing', amount: '-30.00', currency: 'USD' },
    ]);
    // the same paymentId again is the same payment, not a second one
    const again = (await gqlOk(b.url, PAY, { i: { billId, amount: '30.00', path: 'VIA_MODERATOR', paymentId: 'via-1' } }, mod)).recordPayment;
    expect(again.id).toBe('via-1');
    const bill = (await gqlOk(b.url, BILL, { id: billId }, mod)).bill;
    expect(bill).toMatchObject({ status: 'PAID', outstanding: { amount: '0.00' } });
    expect(bill.payments.map((x: any) => [x.amount.amount, x.path])).toEqual([['30.00', 'DIRECT'], ['40.00', 'DIRECT'], ['30.00', 'VIA_MODERATOR']]);
    const ledger = (await gqlOk(b.url, `query($id: ID!) { ledgerEntries(billId: $id) { account amount } }`, { id: billId }, await agentToken())).ledgerEntries;
    const balance = (acct: string) => ledger.filter((l: any) => l.account === acct).reduce((s: number, l: any) => s + Math.round(Number(l.amount) * 100), 0);
    expect(balance('buyer:pay-buyer:receivable')).toBe(0);
    expect(balance('carrier:pay-carrier:payable')).toBe(0);
    expect(balance('moderator:clearing')).toBe(0);
  });

  it('decides who may pay: not another buyer, not the carrier, the MODERATOR only via itself', async () => {
    const s = await recordSelection(b, { selectionId: 'pay-sel2', buyerId: 'pay-buyer', carrierId: 'pay-carrier', quantity: '10', incentive: { currency: 'USD', ratePerUnit: '1' } });
    const id = s.advanceBill.id;
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: id, amount: '1.00', path: 'DIRECT' } }, await token('BUYER', 'intruder')))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: id, amount: '1.00', path: 'DIRECT' } }, await token('CARRIER', 'pay-carrier')))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: id, amount: '1.00', path: 'DIRECT' } }, await token('MODERATOR', 'moderator')))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: 'nope', amount: '1.00', path: 'DIRECT' } }, await agentToken()))).toEqual(['NOT_FOUND']);
    await gqlOk(b.url, PAY, { i: { billId: id, amount: '4.00', path: 'DIRECT' } }, await token('BUYER', 'pay-buyer'));
  });

  it('reports balances, receivables and the carrier settlement statement', async () => {
    const q = `{ _entities(representations: [{ __typename: "Buyer", id: "pay-buyer" }, { __typename: "Carrier", id: "pay-carrier" }]) {
      ... on Buyer { id balance { amount currency } }
      ... on Carrier { id receivables { amount currency } } } }`;
    const r = await gqlOk(b.url, q, {}, await agentToken());
    expect(r._entities).toEqual([
      { id: 'pay-buyer', balance: [{ amount: '6.00', currency: 'USD' }] },
      { id: 'pay-carrier', receivables: [{ amount: '6.00', currency: 'USD' }] },
    ]);
    const now = new Date();
    const period = { start: new Date(now.getTime() - 86_400_000).toISOString(), end: new Date(now.getTime() + 86_400_000).toISOString() };
    const st = `query($c: ID!, $p: IntervalInput!) { settlementStatement(carrierId: $c, period: $p) { carrierId lines { buyerId billed receivedDirect receivedViaModerator outstanding } totals { currency billed receivedDirect receivedViaModerator outstanding } } }`;
    const stmt = (await gqlOk(b.url, st, { c: 'pay-carrier', p: period }, await token('CARRIER', 'pay-carrier'))).settlementStatement;
    expect(stmt.totals).toEqual([{ currency: 'USD', billed: '110.00', receivedDirect: '74.00', receivedViaModerator: '30.00', outstanding: '6.00' }]);
    expect(stmt.lines).toHaveLength(2);
    expect(errorCodes(await gql(b.url, st, { c: 'pay-carrier', p: period }, await token('CARRIER', 'other-carrier')))).toEqual(['FORBIDDEN']);
  });
});
