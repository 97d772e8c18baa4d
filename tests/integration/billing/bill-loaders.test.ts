import { newBillId } from '../../../billing-subgraph/src/services/bill-run';
import { gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, type Billing } from './fixtures';

/**
 * A page of bills with their disputes and disputed amounts costs the same number of database
 * reads whatever the number of bills (one batched read of the page's disputes), and each caller
 * still sees only the disputes of its own bills.
 */
describe('billing: a page of bills with disputes in a constant number of reads', () => {
  let b: Billing;
  const ops: string[] = [];
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
    b.conn.set('debug', (collection: string, method: string) => void ops.push(`${collection}.${method}`));
  });
  afterAll(async () => {
    b.conn.set('debug', false);
    await b.conn.dropDatabase();
    await b.stop();
  });

  async function billsWithDisputes(buyerId: string, n: number) {
    for (let i = 0; i < n; i++) {
      const issuedAt = new Date(Date.UTC(2026, 10, 1 + i));
      const bill = await b.models.Bill.create({
        _id: newBillId(), key: `loader|${buyerId}|${i}`, number: `B-2026-11-${String(900000 + i + (buyerId === 'ld-big' ? 100 : 0))}`, kind: 'PERIODIC', buyerId, carrierId: 'ld-carrier',
        currency: 'USD', status: 'ISSUED', lines: [], subtotal: '10.000000', total: '10.00', paidAmount: '0', payments: [], issuedAt, dueAt: issuedAt,
        periodStart: new Date('2026-10-01T00:00:00Z'), periodEnd: new Date('2026-11-01T00:00:00Z'),
      });
      await b.models.Dispute.create({
        _id: `dsp-${bill._id}`, billId: bill._id, billNumber: bill.number, buyerId, carrierId: 'ld-carrier', lineIndex: null, reason: 'rate', amount: '-1.50', currency: 'USD',
        status: 'OPEN', openedBy: buyerId, openedAt: issuedAt, evidenceCsv: '', history: [],
      });
    }
  }

  const Q = `query { bills(first: 50) { nodes { id disputedAmount { amount } disputes { id status amount { amount } } } } }`;

  it('reads the disputes of 2 and of 12 bills in the same number of queries, each bill with its own', async () => {
    await billsWithDisputes('ld-small', 2);
    await billsWithDisputes('ld-big', 12);
    const count = async (buyerId: string) => {
      ops.length = 0;
      const nodes = (await gqlOk(b.url, Q, {}, await token('BUYER', buyerId))).bills.nodes;
      return { nodes, reads: ops.filter((o) => o.startsWith('disputes.')) };
    };
    const small = await count('ld-small');
    const big = await count('ld-big');
    expect(small.nodes).toHaveLength(2);
    expect(big.nodes).toHaveLength(12);
    for (const n of [...small.nodes, ...big.nodes]) {
      expect(n.disputes).toEqual([{ id: `dsp-${n.id}`, status: 'OPEN', amount: { amount: '-1.50' } }]);
      expect(n.disputedAmount.amount).toBe('-1.5');
    }
    expect(big.reads).toEqual(small.reads);
    expect(big.reads).toHaveLength(1);
    // The carrier of both buyers sees both buyers' bills, each with its own dispute.
    const carrier = (await gqlOk(b.url, Q, {}, await token('CARRIER', 'ld-carrier'))).bills.nodes;
    expect(carrier).toHaveLength(14);
    expect(carrier.every((n: any) => n.disputes.length === 1)).toBe(true);
    // And the agent too.
    expect((await gqlOk(b.url, Q, {}, await agentToken())).bills.nodes).toHaveLength(14);
  });
});
