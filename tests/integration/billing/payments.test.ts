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
    const p = (await gqlOk(b.url, PAY, { i: { billId, amount: '30.00', path: 'DIRECT', paymentId: 'wire-30' } }, buyer)).recordPayment;
    expect(p).toMatchObject({ billId, amount: { amount: '30.00', currency: 'USD' }, path: 'DIRECT', recordedBy: 'BUYER:pay-buyer' });
    expect(p.ledgerEntries).toEqual([
      { event: 'PAYMENT_DIRECT', account: 'carrier:pay-carrier:payable', amount: '30.00', currency: 'USD' },
      { event: 'PAYMENT_DIRECT', account: 'buyer:pay-buyer:receivable', amount: '-30.00', currency: 'USD' },
    ]);
    const bill = (await gqlOk(b.url, BILL, { id: billId }, buyer)).bill;
    expect(bill).toMatchObject({ status: 'PARTIALLY_PAID', paid: { amount: '30.00' }, outstanding: { amount: '70.00' } });
  });

  it('refuses an overpayment with BAD_USER_INPUT on input.amount and changes nothing', async () => {
    const r = await gql(b.url, PAY, { i: { billId, amount: '70.01', path: 'DIRECT', paymentId: 'over-1' } }, await agentToken());
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].extensions!.field).toBe('input.amount');
    const finer = await gql(b.url, PAY, { i: { billId, amount: '1.005', path: 'DIRECT', paymentId: 'finer-1' } }, await agentToken());
    expect(finer.errors![0].extensions!.field).toBe('input.amount');
    expect((await gqlOk(b.url, BILL, { id: billId }, await agentToken())).bill.paid.amount).toBe('30.00');
  });

  it('lets two concurrent payments never overpay together', async () => {
    const agent = await agentToken();
    const results = await Promise.all([1, 2, 3].map((n) => gql(b.url, PAY, { i: { billId, amount: '40.00', path: 'DIRECT', paymentId: `race-${n}` } }, agent)));
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
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: id, amount: '1.00', path: 'DIRECT', paymentId: 'k1' } }, await token('BUYER', 'intruder')))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: id, amount: '1.00', path: 'DIRECT', paymentId: 'k1' } }, await token('CARRIER', 'pay-carrier')))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: id, amount: '1.00', path: 'DIRECT', paymentId: 'k1' } }, await token('MODERATOR', 'moderator')))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(b.url, PAY, { i: { billId: 'nope', amount: '1.00', path: 'DIRECT', paymentId: 'k1' } }, await agentToken()))).toEqual(['NOT_FOUND']);
    await gqlOk(b.url, PAY, { i: { billId: id, amount: '4.00', path: 'DIRECT', paymentId: 'k1' } }, await token('BUYER', 'pay-buyer'));
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

describe('payments are idempotent by the payer\'s key (issue 14, item 5)', () => {
  let b: Billing;
  let billId: string;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    billId = (await recordSelection(b, { selectionId: 'idem-sel', buyerId: 'idem-buyer', carrierId: 'idem-carrier', quantity: '100', incentive: { currency: 'USD', ratePerUnit: '1' } })).advanceBill.id;
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('requires the key: a payment without input.paymentId is refused and nothing is posted', async () => {
    const buyer = await token('BUYER', 'idem-buyer');
    // Without the key the request does not even reach the service (PaymentInput.paymentId is ID!).
    expect(errorCodes(await gql(b.url, PAY, { i: { billId, amount: '5.00', path: 'DIRECT' } }, buyer))).toEqual(['BAD_USER_INPUT']);
    const empty = await gql(b.url, PAY, { i: { billId, amount: '5.00', path: 'DIRECT', paymentId: '' } }, buyer);
    expect(errorCodes(empty)).toEqual(['BAD_USER_INPUT']);
    expect(empty.errors![0].extensions!.field).toBe('input.paymentId');
    expect(await b.models.Ledger.countDocuments({ billId })).toBe(2); // the bill's own issue postings only
  });

  it('posts a retried payment once: concurrent and later retries with the same key and contents return the first payment', async () => {
    const buyer = await token('BUYER', 'idem-buyer');
    const i = { billId, amount: '25.00', path: 'DIRECT', paymentId: 'bank-ref-001', reference: 'SEPA 001' };
    const answers = await Promise.all([1, 2, 3, 4].map(() => gql(b.url, PAY, { i }, buyer)));
    for (const r of answers) expect(r.errors).toBeUndefined();
    const ids = new Set(answers.map((r) => JSON.stringify(r.data!.recordPayment)));
    expect(ids.size).toBe(1);
    // the buyer's lost answer, retried a minute later by the billing agent on its behalf
    const later = (await gqlOk(b.url, PAY, { i: { ...i, amount: '25' } }, await agentToken())).recordPayment;
    expect(later).toEqual(answers[0].data!.recordPayment);
    expect(later.recordedBy).toBe('BUYER:idem-buyer');
    const bill = (await gqlOk(b.url, BILL, { id: billId }, buyer)).bill;
    expect(bill).toMatchObject({ status: 'PARTIALLY_PAID', paid: { amount: '25.00' }, outstanding: { amount: '75.00' } });
    expect(bill.payments).toEqual([{ id: 'bank-ref-001', amount: { amount: '25.00' }, path: 'DIRECT' }]);
    expect(await b.models.Payment.countDocuments({ billId })).toBe(1);
    expect(await b.models.Ledger.countDocuments({ billId, paymentId: 'bank-ref-001' })).toBe(2);
  });

  it('refuses the same key with other contents (CONFLICT on input.paymentId, naming what differs) and changes nothing', async () => {
    const buyer = await token('BUYER', 'idem-buyer');
    const base = { billId, amount: '25.00', path: 'DIRECT', paymentId: 'bank-ref-001', reference: 'SEPA 001' };
    for (const [change, field] of [[{ amount: '26.00' }, 'input.amount'], [{ path: 'VIA_MODERATOR' }, 'input.path'], [{ reference: 'SEPA 002' }, 'input.reference']] as const) {
      const r = await gql(b.url, PAY, { i: { ...base, ...change } }, field === 'input.path' ? await agentToken() : buyer);
      expect(errorCodes(r)).toEqual(['CONFLICT']);
      expect(r.errors![0].extensions!.field).toBe('input.paymentId');
      expect(r.errors![0].message).toContain(field);
    }
    expect((await gqlOk(b.url, BILL, { id: billId }, buyer)).bill.paid.amount).toBe('25.00');
    expect(await b.models.Ledger.countDocuments({ billId })).toBe(4);
  });

  it('answers a retry after the bill was paid in full with the first payment, not an overpayment', async () => {
    const buyer = await token('BUYER', 'idem-buyer');
    await gqlOk(b.url, PAY, { i: { billId, amount: '75.00', path: 'DIRECT', paymentId: 'bank-ref-002' } }, buyer);
    const retry = (await gqlOk(b.url, PAY, { i: { billId, amount: '75.00', path: 'DIRECT', paymentId: 'bank-ref-002' } }, buyer)).recordPayment;
    expect(retry).toMatchObject({ id: 'bank-ref-002', amount: { amount: '75.00' } });
    expect((await gqlOk(b.url, BILL, { id: billId }, buyer)).bill).toMatchObject({ status: 'PAID', outstanding: { amount: '0.00' } });
  });
});
