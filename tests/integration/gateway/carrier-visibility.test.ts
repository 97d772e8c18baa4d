// Issue 12, item 8: one visibility policy for the selected carrier over its buyer, in both
// subgraphs. The carrier reads the bills it is party to with the buyer's id and name (it asked
// for Bill.buyer { name } and got FORBIDDEN and a nulled bill); it never sees the reseller's end
// users, the buyer's bills with other carriers or its overall balance; other carriers see nothing.
import { callOk, call, runAuction, startExchange, type Exchange } from '../../claims/support/scenario';

const BILL = `query($id: ID!) { bill(id: $id) { id buyer { id name isReseller endUsers { id } bills { nodes { id carrier { id } } } balance { amount currency } } } }`;

describe('what the selected carrier sees of its buyer', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
  });
  afterAll(() => ex?.stop());

  it('the selected carrier reads its bill with the buyer id and name, no end users, only their own bills and balance', async () => {
    const a = await runAuction(ex, { buyer: { id: 'vis-reseller', isReseller: true, endUsers: [{ id: 'shop-1', name: 'Corner Shop' }] } });
    const bill = (await callOk(ex.moderatorApi, BILL, { id: a.advanceBill.id }, a.winner.token)).bill;
    expect(bill).toEqual({
      id: a.advanceBill.id,
      buyer: {
        id: 'vis-reseller',
        name: expect.any(String),
        isReseller: true,
        endUsers: [],
        bills: { nodes: [{ id: a.advanceBill.id, carrier: { id: a.winner.id } }] },
        balance: [{ amount: '1.00', currency: 'USD' }],
      },
    });
    // The buyer itself sees its end users.
    const own = (await callOk(ex.moderatorApi, BILL, { id: a.advanceBill.id }, a.buyer.token)).bill;
    expect(own.buyer.endUsers).toEqual([{ id: 'shop-1' }]);
    // The same policy on the moderator's own root field.
    const direct = await callOk(ex.moderatorApi, `query($id: ID!) { buyer(id: $id) { id name endUsers { id } } }`, { id: 'vis-reseller' }, a.winner.token);
    expect(direct.buyer).toEqual({ id: 'vis-reseller', name: expect.any(String), endUsers: [] });
    // A carrier that was not selected sees nothing of the buyer.
    const other = await call(ex.moderatorApi, `query($id: ID!) { buyer(id: $id) { id name } }`, { id: 'vis-reseller' }, a.loser.token);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(other.data?.buyer ?? null).toBeNull();
  });
});
