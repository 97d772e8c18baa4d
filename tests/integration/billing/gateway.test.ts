import { gql, startStack, token } from '../../support/harness';
import { recordSelection } from './fixtures';

describe('billing through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves bills with their Buyer/Carrier extensions, scoped to the caller', async () => {
    const s = await recordSelection(stack.billing, { selectionId: 'gw-sel', requestId: 'gw-req', buyerId: 'gw-buyer', carrierId: 'gw-carrier', quantity: '10', incentive: { currency: 'USD', ratePerUnit: '1' } });
    await recordSelection(stack.billing, { selectionId: 'gw-sel2', requestId: 'gw-req2', buyerId: 'gw-other', carrierId: 'gw-carrier', quantity: '5', incentive: { currency: 'USD', ratePerUnit: '1' } });
    const buyer = await token('BUYER', 'gw-buyer');
    const r = await gql(stack.gateway.url, `{ bills { nodes { id kind total { amount currency } buyer { id balance { amount currency } } carrier { id } } } }`, {}, buyer);
    expect(r.errors).toBeUndefined();
    expect(r.data!.bills.nodes).toEqual([
      { id: s.advanceBill.id, kind: 'ADVANCE', total: { amount: '10.00', currency: 'USD' }, buyer: { id: 'gw-buyer', balance: [{ amount: '10.00', currency: 'USD' }] }, carrier: { id: 'gw-carrier' } },
    ]);
    const carrier = await token('CARRIER', 'gw-carrier');
    const c = await gql(stack.gateway.url, `query($id: ID!) { bill(id: $id) { carrier { id receivables { amount currency } } } }`, { id: s.advanceBill.id }, carrier);
    expect(c.errors).toBeUndefined();
    expect(c.data!.bill.carrier).toEqual({ id: 'gw-carrier', receivables: [{ amount: '15.00', currency: 'USD' }] });
  });
});
