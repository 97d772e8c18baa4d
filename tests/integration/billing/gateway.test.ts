import { gql, startStack, token } from '../../support/harness';
import { agentToken, ingestOk, recordSelection, voice } from './fixtures';

// Every scalar field of UsageRecord (issue 21 item 5: 1,000 rows of them were refused as cost 15,003 > 5,000).
const USAGE_SCALARS = 'id recordId source equipmentId buyerId carrierId requestId selectionId endUserId intervalStart intervalEnd serviceType quantity destination minBandwidthMbps maxBandwidthMbps status unassociatedReason reportedBy receivedAt callId supersededBy';

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

  it('pages 1,000 usage records with every scalar field through the gateway (the schema allows 1,000 per page)', async () => {
    await recordSelection(stack.billing, { selectionId: 'gw-ur-sel', requestId: 'gw-ur-req', buyerId: 'gw-ur-buyer', carrierId: 'gw-ur-carrier', quantity: '1', incentive: { currency: 'USD', ratePerUnit: '0.1' } });
    await ingestOk(stack.billing, Array.from({ length: 1005 }, (_, i) => voice({ recordId: `gw-ur-${i}`, seconds: 60, buyerId: 'gw-ur-buyer', carrierId: 'gw-ur-carrier', start: new Date(Date.parse('2026-10-02T00:00:00Z') + i * 60_000).toISOString() })));
    const q = `query($after: String) { usageRecords(first: 1000, after: $after, filter: { buyerId: "gw-ur-buyer" }) { nodes { ${USAGE_SCALARS} } endCursor } }`;
    const agent = await agentToken();
    const page = await gql(stack.gateway.url, q, {}, agent);
    expect(page.errors).toBeUndefined();
    expect(page.data!.usageRecords.nodes).toHaveLength(1000);
    expect(page.data!.usageRecords.nodes[0]).toMatchObject({ buyerId: 'gw-ur-buyer', carrierId: 'gw-ur-carrier', serviceType: 'VOICE', quantity: '60' });
    expect(page.data!.usageRecords.endCursor).toEqual(expect.any(String));
    const rest = await gql(stack.gateway.url, q, { after: page.data!.usageRecords.endCursor }, agent);
    expect(rest.data!.usageRecords.nodes).toHaveLength(5);
    // an alias flood inside the page still costs what it is
    const flood = Array.from({ length: 600 }, (_, i) => `a${i}: id`).join(' ');
    const refused = await gql(stack.gateway.url, `{ usageRecords(first: 1000) { nodes { ${flood} } } }`, {}, agent);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 2 + 1000 * 60 });
  });
});
